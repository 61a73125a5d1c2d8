"""Routes matched on the raw, still percent-encoded path.

botocore encodes every path label as one segment (`amazon.nova-canvas-v1%3A0`, ARNs with `%2F`), and routers
that decode before matching would split an ARN at its slash; these routes match on `raw_path` and decode each
captured label afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
_LABEL = re.compile(r"\{(\w+)\}")


class RawPathRoute(BaseRoute):
    """`template` like `/model/{modelId}/invoke`; each `{label}` matches one encoded segment."""

    def __init__(self, method: str, template: str, endpoint: Endpoint) -> None:
        self.method = method
        self.template = template
        self.endpoint = endpoint
        self.regex = re.compile("^" + _LABEL.sub(r"(?P<\1>[^/]+)", template) + "$")

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        raw = scope.get("raw_path") or scope["path"].encode()
        found = self.regex.match(raw.decode("latin-1"))
        if found is None:
            return Match.NONE, {}
        params = {name: unquote(value) for name, value in found.groupdict().items()}
        child = {"endpoint": self.endpoint, "path_params": params}
        return (Match.FULL if scope["method"] == self.method else Match.PARTIAL), child

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != self.method:
            response: Response = PlainTextResponse("Method Not Allowed", 405, headers={"Allow": self.method})
        else:
            response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)
