"""bedrock-runtime's async operations: StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from outcrop.api.bedrock.request import authenticated_body, json_object, state_of
from outcrop.api.bedrock.routing import RawPathRoute
from outcrop.api.errors import REQUEST_ID_HEADER, request_id
from outcrop.errors import ValidationError
from outcrop.families.schema import array, check, obj, string
from outcrop.jobs import Job, JobQuery, JobStatus
from outcrop.services.async_jobs import StartRequest

Json = dict[str, Any]
S3_URI = "^s3://[a-z0-9][.a-z0-9-]{1,61}[a-z0-9](/.*)?$"
START_SCHEMA = obj(
    {
        "modelId": string(1, 256, pattern="^[a-zA-Z_./0-9:-]+$"),
        "modelInput": {"type": "object"},
        "outputDataConfig": obj(
            {
                "s3OutputDataConfig": obj(
                    {
                        "s3Uri": string(1, 1024, pattern=S3_URI),
                        "kmsKeyId": string(1, 2048),
                        "bucketOwner": string(pattern="^[0-9]{12}$"),
                    },
                    required=["s3Uri"],
                )
            },
            required=["s3OutputDataConfig"],
        ),
        "clientRequestToken": string(1, 256, pattern="^[!-~]+$"),
        "tags": array(obj({"key": string(1, 128), "value": string(0, 256)}, required=["key", "value"]), 0, 200),
    },
    required=["modelId", "modelInput", "outputDataConfig"],
)


async def start_async_invoke(request: Request) -> Response:
    body = json_object(await authenticated_body(request))
    check(body, START_SCHEMA)
    start = StartRequest(
        model_id=body["modelId"],
        model_input=body["modelInput"],
        output_uri=body["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"],
        client_request_token=body.get("clientRequestToken") or str(uuid.uuid4()),
        tags=tuple((tag["key"], tag["value"]) for tag in body.get("tags", [])),
    )
    # Parses the modelInput (decoding images), checks the output bucket (S3) and stores the job (SQL): in a thread.
    job, _ = await asyncio.to_thread(state_of(request).jobs.start, start)
    return _json(request, {"invocationArn": job.arn})


async def get_async_invoke(request: Request) -> Response:
    await authenticated_body(request)
    job = await asyncio.to_thread(state_of(request).jobs.get, request.path_params["invocationArn"])
    return _json(request, describe(job))


async def list_async_invokes(request: Request) -> Response:
    await authenticated_body(request)
    page = await asyncio.to_thread(state_of(request).jobs.list, list_query(request.query_params))
    payload: Json = {"asyncInvokeSummaries": [describe(job) for job in page.jobs]}
    if page.next_token:
        payload["nextToken"] = page.next_token
    return _json(request, payload)


def describe(job: Job) -> Json:
    """GetAsyncInvoke's shape (ListAsyncInvokes' summaries are the same)."""
    payload: Json = {
        "invocationArn": job.arn,
        "modelArn": job.spec.model_arn,
        "clientRequestToken": job.spec.client_request_token,
        "status": str(job.status),
        "submitTime": timestamp(job.submit_time),
        "lastModifiedTime": timestamp(job.last_modified_time),
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": job.output_folder}},
    }
    if job.end_time is not None:
        payload["endTime"] = timestamp(job.end_time)
    if job.failure_message:
        payload["failureMessage"] = job.failure_message
    return payload


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def list_query(params: Mapping[str, str]) -> JobQuery:
    _check_choice(params, "sortBy", ("SubmissionTime",))
    _check_choice(params, "sortOrder", ("Ascending", "Descending"))
    _check_choice(params, "statusEquals", tuple(str(s) for s in JobStatus))
    status = params.get("statusEquals")
    return JobQuery(
        status=JobStatus(status) if status else None,
        submitted_after=_time(params, "submitTimeAfter"),
        submitted_before=_time(params, "submitTimeBefore"),
        ascending=params.get("sortOrder") == "Ascending",
        max_results=_max_results(params.get("maxResults")),
        next_token=params.get("nextToken") or None,
    )


def _check_choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> None:
    value = params.get(name)
    if value is not None and value not in allowed:
        raise ValidationError(f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
                              f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]")  # fmt: skip


def _time(params: Mapping[str, str], name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        message = f"{name} '{value}' is not a timestamp; send ISO-8601 like 2025-01-01T00:00:00Z."
        raise ValidationError(message) from None
    if moment.tzinfo is None:
        raise ValidationError(f"{name} '{value}' has no time zone; end it with Z or an offset like +00:00.")
    return moment


def _max_results(value: str | None) -> int:
    if value is None:
        return 1000
    if not value.isdigit() or not 1 <= int(value) <= 1000:
        raise ValidationError(f"maxResults '{value}' is out of range; send a whole number from 1 to 1000.")
    return int(value)


def _json(request: Request, payload: Json) -> Response:
    headers = {REQUEST_ID_HEADER: request_id(request)}
    return Response(json.dumps(payload), media_type="application/json", headers=headers)


ROUTES = [
    RawPathRoute("POST", "/async-invoke", start_async_invoke),
    RawPathRoute("GET", "/async-invoke", list_async_invokes),
    RawPathRoute("GET", "/async-invoke/{invocationArn}", get_async_invoke),
]
