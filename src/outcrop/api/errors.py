"""Errors on the wire: every OutcropError becomes AWS's rest-json error envelope, in one place."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from outcrop.errors import (
    InternalServerError,
    MethodNotAllowedError,
    OutcropError,
    UnknownOperationError,
    ValidationError,
)

log = logging.getLogger(__name__)

# Modeled members botocore parses into e.response; anything else in `extra` is for logs only.
_WIRE_EXTRAS = ("originalStatusCode", "resourceName", "reason")
REQUEST_ID_HEADER = "x-amzn-RequestId"


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = str(uuid.uuid4())
        request.state.request_id = rid
    return str(rid)


def error_response(error: OutcropError, rid: str) -> Response:
    body = {"__type": error.code, "message": error.message}
    body |= {k: error.extra[k] for k in _WIRE_EXTRAS if k in error.extra}
    headers = {"x-amzn-ErrorType": error.code, REQUEST_ID_HEADER: rid}
    if "retry_after_s" in error.extra:
        headers["Retry-After"] = str(error.extra["retry_after_s"])
    return Response(content=json.dumps(body), status_code=error.http_status, media_type="application/json",
                    headers=headers)  # fmt: skip


async def on_outcrop_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OutcropError)
    return error_response(exc, request_id(request))


async def on_unexpected_error(request: Request, exc: Exception) -> Response:
    rid = request_id(request)
    log.exception("unhandled error in request %s", rid, exc_info=exc)
    return error_response(InternalServerError(f"Internal error; quote request id {rid} when reporting it."), rid)


async def on_client_disconnect(request: Request, exc: Exception) -> Response:
    """The client left before its answer (its model work was stopped): nothing to send, nothing went wrong."""
    log.info("request %s: the client disconnected; its work was cancelled", request_id(request))
    return Response(status_code=499)


async def on_request_validation_error(request: Request, exc: Exception) -> Response:
    """Native API schema errors (pydantic) in the same envelope as Bedrock's ValidationException."""
    errors: list[dict[str, Any]] = getattr(exc, "errors", list)()
    details = "; ".join(f"{'/'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in errors)
    return error_response(ValidationError(f"Invalid request: {details}"), request_id(request))


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, wrong method) in the typed envelope, not as a bare `detail`."""
    assert isinstance(exc, HTTPException)
    response = error_response(_typed(request, exc), request_id(request))
    response.headers.update(exc.headers or {})  # 405 keeps its Allow header
    return response


def _typed(request: Request, exc: HTTPException) -> OutcropError:
    operation = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        return UnknownOperationError(f"No operation answers {operation}; /docs lists the routes.")
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "another method")
        return MethodNotAllowedError(f"{operation} is not an operation; send {allowed} to this path.")
    return ValidationError(f"{operation}: {exc.detail}")
