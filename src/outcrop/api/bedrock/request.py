"""Reading a Bedrock request: the body (bounded and authenticated by the app's AccessMiddleware), JSON decoding."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from outcrop.errors import PayloadTooLargeError, ValidationError
from outcrop.families.schema import malformed
from outcrop.services import Services


def state_of(request: Request) -> Services:
    state: Services = request.app.state.outcrop
    return state


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing it as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The request body is {size:,} bytes; the limit is {limit:,} bytes. Send smaller or fewer images."
    )


async def authenticated_body(request: Request) -> bytes:
    """The body the AccessMiddleware read (within OUTCROP_MAX_BODY_BYTES) and authenticated before this route ran."""
    return await request.body()


def json_object(body: bytes) -> Mapping[str, Any]:
    """Decode a JSON object body, with Bedrock's message for anything else."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise malformed(f"#: the body is not valid JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise malformed("#: expected type: JSONObject, found: " + type(payload).__name__)
    return payload


def check_json_content_type(request: Request) -> None:
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type not in ("application/json", "*/*", ""):
        raise ValidationError(f"Content type {content_type} is not supported; send application/json.")
