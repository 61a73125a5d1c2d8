"""Errors in OpenAI's JSON shape, `{"error": {"message", "type", "param", "code"}}`, with Outcrop's statuses.

The `openai` SDK picks its exception class from the status (400 BadRequestError, 403 PermissionDeniedError, ...)
and reads `message`, `param` and `code` from this body. Refusals made before a route runs (authentication, body
size) come from the access layer in its AWS envelope; the status, which the SDK goes by, is the same.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec

from starlette.requests import Request
from starlette.responses import Response

from outcrop.api.errors import REQUEST_ID_HEADER, request_id
from outcrop.errors import OutcropError, ValidationError
from outcrop.families.amazon_image.encode import ALL_OUTPUTS_BLOCKED
from outcrop.safety.filters import IMAGE_BLOCKED, TEXT_BLOCKED

log = logging.getLogger(__name__)
P = ParamSpec("P")

_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error", 429: "rate_limit_error"}
_CONTENT_POLICY = frozenset({TEXT_BLOCKED, IMAGE_BLOCKED, ALL_OUTPUTS_BLOCKED})


def invalid(message: str, param: str | None, code: str = "invalid_value") -> ValidationError:
    """A 400 about one request field, named as OpenAI names it."""
    return ValidationError(message, param=param, openai_code=code)


def error_type(status: int) -> str:
    if status >= 500:
        return "server_error"
    return _TYPES.get(status, "invalid_request_error")


def openai_error_response(error: OutcropError, rid: str) -> Response:
    code = error.extra.get("openai_code")
    if code is None:
        code = "content_policy_violation" if error.message in _CONTENT_POLICY else error.code
    body = {
        "error": {
            "message": error.message,
            "type": error_type(error.http_status),
            "param": error.extra.get("param"),
            "code": code,
        }
    }
    headers = {REQUEST_ID_HEADER: rid, "x-request-id": rid}
    if "retry_after_s" in error.extra:
        headers["Retry-After"] = str(error.extra["retry_after_s"])
    return Response(json.dumps(body), status_code=error.http_status, media_type="application/json", headers=headers)


def openai_errors(
    endpoint: Callable[P, Awaitable[Response]],
) -> Callable[P, Awaitable[Response]]:
    """Answer the endpoint's OutcropErrors in OpenAI's shape (the app's handlers would use AWS's envelope)."""

    @functools.wraps(endpoint)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return await endpoint(*args, **kwargs)
        except OutcropError as error:
            request = next(a for a in (*args, *kwargs.values()) if isinstance(a, Request))
            if error.http_status >= 500:
                log.warning("OpenAI images request failed: %s", error.message)
            return openai_error_response(error, request_id(request))

    return wrapped
