"""A request id for every request: taken from the caller's `x-amzn-RequestId` or made here, kept on
`request.state` (error envelopes quote it), returned in the response header, and put on every log record written
while the request runs (`install_log_field`, called by `outcrop serve`)."""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from outcrop.api.errors import REQUEST_ID_HEADER

CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar("outcrop_request_id", default="-")


async def request_id_middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    rid = request.headers.get(REQUEST_ID_HEADER) or str(uuid.uuid4())
    request.state.request_id = rid
    token = CURRENT.set(rid)
    try:
        response = await call_next(request)
    finally:
        CURRENT.reset(token)
    response.headers.setdefault(REQUEST_ID_HEADER, rid)
    return response


def install_log_field() -> None:
    """Every log record gets `request_id` (`-` outside a request), for a format with `%(request_id)s`."""
    factory = logging.getLogRecordFactory()

    def record(*args: object, **kwargs: object) -> logging.LogRecord:
        entry = factory(*args, **kwargs)
        entry.request_id = CURRENT.get()
        return entry

    logging.setLogRecordFactory(record)
