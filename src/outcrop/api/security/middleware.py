"""AccessMiddleware: a pure ASGI middleware around the whole app, so no route can be added without it.

For every HTTP request it reads the body once, refusing it (413) as soon as it passes the limit, before it is
buffered; refuses malformed JSON that would otherwise reach a route (json_guard); asks the Gate who the caller
is and whether they may; applies the key's quotas; then replays the body to the app and puts the caller on
`request.state.principal`. An unexpected exception becomes a typed 500 here, so the connection stays open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from outcrop.access import Principal
from outcrop.api.bedrock.sigv4 import SignedRequest
from outcrop.api.errors import error_response
from outcrop.api.security.gate import Gate
from outcrop.api.security.json_guard import check_json_body
from outcrop.errors import InternalServerError, OutcropError, PayloadTooLargeError

log = logging.getLogger(__name__)
BODY_KEY = "outcrop.body"


class ClientGoneError(Exception):
    """The client disconnected while sending its body."""


class AccessMiddleware:
    def __init__(self, app: ASGIApp, gate: Gate, max_body_bytes: int) -> None:
        self.app = app
        self.gate = gate
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and self.gate.locked():
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await read_bounded(scope, receive, self.max_body_bytes)
            principal, release = self._admit(scope, body)
        except ClientGoneError:
            return
        except OutcropError as error:
            await _send_error(error, scope, send)
            return
        try:
            await self._run(scope, _replay(body, receive), send, principal, body)
        finally:
            release()

    def _admit(self, scope: Scope, body: bytes) -> tuple[Principal, Callable[[], None]]:
        check_json_body(_header(scope, b"content-type").split(";")[0].strip().lower(), body)
        principal = self.gate.admit(signed_request(scope, body), scope["path"])
        release = self.gate.quotas.acquire(principal.key)
        scope["query_string"] = _without_presign_fields(scope.get("query_string", b""))
        return principal, release

    async def _run(self, scope: Scope, receive: Receive, send: Send, principal: Principal, body: bytes) -> None:
        scope.setdefault("state", {})["principal"] = principal
        scope[BODY_KEY] = body
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            rid = scope.get("state", {}).get("request_id", "-")
            log.exception("unhandled error in request %s", rid, exc_info=exc)
            await _send_error(InternalServerError(f"Internal error; quote request id {rid} when reporting it."),
                              scope, send)  # fmt: skip


async def read_bounded(scope: Scope, receive: Receive, limit: int) -> bytes:
    declared = _header(scope, b"content-length")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGoneError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def signed_request(scope: Scope, body: bytes) -> SignedRequest:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return SignedRequest(
        method=scope["method"],
        raw_path=raw_path.decode("latin-1"),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body as one message, then the client's own messages (so a route still sees a disconnect)."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _without_presign_fields(query: bytes) -> bytes:
    """A presigned URL's X-Amz-* fields are for the signature, not for the operation (as on AWS)."""
    if b"X-Amz-" not in query:
        return query
    return b"&".join(part for part in query.split(b"&") if not part.startswith(_PRESIGN_PREFIXES))


_PRESIGN_FIELDS = ("Algorithm", "Credential", "Date", "Expires", "SignedHeaders", "Signature", "Security-Token")
_PRESIGN_PREFIXES = tuple(f"X-Amz-{name}=".encode() for name in _PRESIGN_FIELDS)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def _too_large(size: int, limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The request body is {size:,} bytes; the limit is {limit:,} bytes (OUTCROP_MAX_BODY_BYTES). "
        "Send smaller or fewer images."
    )


async def _send_error(error: OutcropError, scope: Scope, send: Send) -> None:
    rid = scope.get("state", {}).get("request_id", "-")
    response = error_response(error, rid)

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)
