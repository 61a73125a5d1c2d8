"""Stop model work whose client has gone.

Starlette does not cancel a request handler when its client disconnects: the model would go on generating an
answer nobody reads, holding the model's queue. `until_disconnect` races the work against the client's
`http.disconnect`; when the client wins, the work is cancelled, which the executor turns into "drop the queued task,
stop the running one at its next step".
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import ClientDisconnect, Request

T = TypeVar("T")


async def until_disconnect(request: Request, work: Awaitable[T]) -> T:
    """The result of `work`, unless the client disconnects first: then `work` is cancelled and ClientDisconnect
    raised (the server writes no response to a closed connection)."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        watcher.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    raise ClientDisconnect


async def _disconnected(request: Request) -> None:
    """Returns when the client has disconnected (the body was already read, so the next message is that)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
