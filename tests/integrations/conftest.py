"""The clients people already point at Bedrock (langchain-aws, LiteLLM), pointed at a live tiny-profile server with
dummy credentials. Every test here runs with the network closed: a connection to anything but the loopback
interface fails the test, so a client that silently fell back to AWS cannot pass."""

from __future__ import annotations

import ipaddress
import json
import socket
from typing import Any

import pytest

from integrations.reference import CHAT_MODEL, MAX_TOKENS, PROMPT, SYSTEM
from support.live_server import LiveServer


def _loopback(host: object) -> bool:
    if host in ("localhost", None):
        return True
    try:
        return ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return False


class NetworkClosedError(AssertionError):
    """A client tried to reach a host other than the test server."""


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host.decode() if isinstance(host, bytes) else host):
            raise NetworkClosedError(f"the test tried to resolve {host!r}: point the client at the test server")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise NetworkClosedError(f"the test tried to connect to {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture(autouse=True)
def dummy_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Dummy keys and no AWS configuration from the machine (profiles, config files, endpoints)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
                 "AWS_BEDROCK_RUNTIME_ENDPOINT", "LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path_factory.mktemp("aws") / "none"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION_NAME", "us-east-1")  # LiteLLM's name for it


@pytest.fixture(scope="session")
def converse_text(tiny_server: LiveServer) -> Any:
    """What plain boto3 Converse answers for PROMPT (greedy), to compare each client's answer with."""
    runtime = tiny_server.client("bedrock-runtime")

    def answer() -> dict[str, Any]:
        reply: dict[str, Any] = runtime.converse(
            modelId=CHAT_MODEL, messages=[{"role": "user", "content": [{"text": PROMPT}]}],
            system=[{"text": SYSTEM}], inferenceConfig={"temperature": 0.0, "maxTokens": MAX_TOKENS},
        )  # fmt: skip
        return reply

    return answer


@pytest.fixture(scope="session")
def direct_embedding(tiny_server: LiveServer) -> Any:
    """The vector plain boto3 InvokeModel answers for a body, to compare each client's vectors with."""
    runtime = tiny_server.client("bedrock-runtime")

    def embed(model_id: str, body: dict[str, Any]) -> list[float]:
        reply = json.loads(runtime.invoke_model(modelId=model_id, body=json.dumps(body))["body"].read())
        vector: list[float] = reply["embedding"]
        return vector

    return embed
