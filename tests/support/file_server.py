"""A small HTTP file server on 127.0.0.1 for download tests: byte ranges with If-Range on an ETag, a connection
cut after N bytes (an interrupted download), a pause half-way (so a test sees progress while bytes are still
arriving), and a record of the Range headers it was sent."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Served:
    files: dict[str, bytes] = field(default_factory=dict)  # path -> content
    content_types: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None  # close the connection after sending this many body bytes (once)
    pause_half_way: threading.Event | None = None  # hold the second half of a body until this is set
    ranges: list[str | None] = field(default_factory=list)
    url: str = ""

    def etag(self, path: str) -> str:
        return '"' + hashlib.sha256(self.files[path]).hexdigest()[:16] + '"'


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path not in served.files:
                self.send_error(404)
                return
            body, etag = served.files[path], served.etag(path)
            wanted = self.headers.get("Range")
            served.ranges.append(wanted)
            start = 0
            if wanted and self.headers.get("If-Range", etag) == etag:
                start = int(wanted.removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.send_header("Content-Length", str(len(body) - start))
            self.send_header("Content-Type", served.content_types.get(path, "application/octet-stream"))
            self.send_header("ETag", etag)
            self.end_headers()
            self._send(body[start:])

        def _send(self, body: bytes) -> None:
            if served.cut_after is not None:
                cut, served.cut_after = served.cut_after, None
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            if served.pause_half_way is not None:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                served.pause_half_way.wait(timeout=30)
                body = body[len(body) // 2 :]
            self.wfile.write(body)

    return Handler


@contextmanager
def serving(served: Served) -> Iterator[Served]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield served
    finally:
        if served.pause_half_way is not None:
            served.pause_half_way.set()
        server.shutdown()
        server.server_close()
