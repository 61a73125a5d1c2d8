"""Text models (Nova Micro / Lite ids served by local instruct models): Converse, ConverseStream, and the
`messages-v1` InvokeModel body."""

from __future__ import annotations

from typing import Any

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, Json, WireFamily
from outcrop.families.results import conversed, token_headers
from outcrop.families.text.body import parse_converse, parse_native_text
from outcrop.tasks import Task
from outcrop.tasks.converse import ConverseResult


def encode_converse(result: ConverseResult) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": result.text}]}},
        "stopReason": str(result.stop_reason),
        "usage": {
            "inputTokens": result.input_tokens,
            "outputTokens": result.output_tokens,
            "totalTokens": result.input_tokens + result.output_tokens,
        },
    }


def _parse(entry: ModelEntry, body: Body) -> Task:
    return parse_native_text(body)


def _encode(entry: ModelEntry, task: Task, result: object, body: Body) -> Json:
    return encode_converse(conversed(result))


FAMILY = WireFamily(Family.TEXT, _parse, _encode, headers=token_headers)

__all__ = ["FAMILY", "encode_converse", "parse_converse"]
