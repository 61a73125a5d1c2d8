"""Find blocking calls on the event loop thread: SQL, S3 requests, vector-index searches.

A request handler that runs SQLite, psycopg, boto3 or hnswlib directly on the event loop stalls every other request
while it waits. With `OUTCROP_CHECK_EVENT_LOOP=1` (the test suite's servers turn it on) each such call made from the
loop's thread is recorded and logged with what it was; `violations()` lists them. Off, the checks cost one boolean
test. Checks are installed when connections and clients are made, so `enable` comes first (build_services does it).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
from typing import Any

log = logging.getLogger(__name__)
_state = {"enabled": False}
_found: list[str] = []
_lock = threading.Lock()


def enable(on: bool = True) -> None:
    _state["enabled"] = on


def enabled() -> bool:
    return _state["enabled"]


def violations() -> list[str]:
    with _lock:
        return list(_found)


def clear() -> None:
    with _lock:
        _found.clear()


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def check(what: str) -> None:
    """Record `what` if it is running on an event loop's thread (only while enabled)."""
    if _state["enabled"] and on_event_loop():
        log.error(
            "blocking call on the event loop thread: %s (from %s); run it with asyncio.to_thread", what, _caller()
        )
        with _lock:
            _found.append(what)


def _caller() -> str:
    """The innermost Outcrop frames that led here: where to put the asyncio.to_thread."""
    frames = [f for f in traceback.extract_stack()[:-3] if "/outcrop/" in f.filename and "loop_guard" not in f.filename]
    return " <- ".join(f"{f.filename.rsplit('/outcrop/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-3:]))


def watch_sqlite(connection: Any) -> None:
    """Check every statement `connection` runs (sqlite3 calls the trace callback in the executing thread)."""
    if _state["enabled"]:
        connection.set_trace_callback(lambda statement: check(f"SQLite: {statement[:80]}"))


def watch_boto3(client: Any) -> None:
    """Check every API call of a boto3 client."""
    if _state["enabled"]:
        client.meta.events.register("before-call", _boto3_call)


def _boto3_call(model: Any = None, **kwargs: Any) -> None:
    check(f"boto3: {getattr(model, 'name', 'call')}")
