"""The ARNs Outcrop hands out, in Bedrock's formats."""

from __future__ import annotations


def model_arn(region: str, model_id: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def invocation_arn(region: str, account_id: str, job_id: str) -> str:
    return f"arn:aws:bedrock:{region}:{account_id}:async-invoke/{job_id}"
