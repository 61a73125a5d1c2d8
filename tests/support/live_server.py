"""Run Outcrop's real ASGI app under uvicorn in a background thread, bound to 127.0.0.1 on a free port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import uvicorn
from botocore.config import Config

from outcrop.api.app import build_app
from outcrop.settings import Settings

TEST_KEY, TEST_SECRET = "AKIDOUTCROPTEST", "outcrop-test-secret"  # not a secret: a test-only key pair


@dataclass
class LiveServer:
    url: str
    settings: Settings
    server: uvicorn.Server

    def client(self, service: str, **kwargs: Any) -> Any:
        config = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=300)
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=kwargs.pop("key", TEST_KEY),
            aws_secret_access_key=kwargs.pop("secret", TEST_SECRET),
            config=kwargs.pop("config", config),
            **kwargs,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def start_server(home: Path, models_dir: Path, profile: str, **overrides: Any) -> Iterator[LiveServer]:
    port = free_port()
    overrides.setdefault("check_event_loop", True)  # every test server records blocking calls on its loop
    settings = Settings(home=home, models_path=models_dir, profile=profile, port=port, **overrides)
    config = uvicorn.Config(build_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", settings=settings, server=server)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
