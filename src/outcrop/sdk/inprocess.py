"""A synchronous httpx transport that serves requests from an ASGI app running in this process.

httpx's own ASGITransport is async-only; this one runs it, and the app's lifespan (model preload, orderly
shutdown), on an event loop in a helper thread, so the sync Client keeps a single code path.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import httpx
from anyio.from_thread import start_blocking_portal


class ASGIThreadTransport(httpx.BaseTransport):
    def __init__(self, app: Any) -> None:
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(start_blocking_portal())
        # App errors already become 500 responses in the app's handlers; the transport must not re-raise them.
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        try:
            self._stack.enter_context(self._portal.wrap_async_context_manager(app.router.lifespan_context(app)))
        except BaseException:
            self._stack.close()
            raise

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._portal.call(self._handle, request)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)

    def close(self) -> None:
        self._stack.close()
