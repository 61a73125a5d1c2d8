"""Every response carries a request id (the caller's, or a new one); /metrics is Prometheus text per app."""

from __future__ import annotations

import uuid

import httpx

from outcrop.api.app import build_app
from outcrop.settings import Settings


def test_responses_carry_a_request_id(tiny_server):
    made = httpx.get(f"{tiny_server.url}/health").headers["x-amzn-RequestId"]
    assert uuid.UUID(made)
    given = httpx.get(f"{tiny_server.url}/health", headers={"x-amzn-RequestId": "trace-123"})
    assert given.headers["x-amzn-RequestId"] == "trace-123"


def test_an_error_quotes_the_same_request_id_it_returns(tiny_server):
    reply = httpx.post(f"{tiny_server.url}/model/no.such-model/invoke", content=b"{}")
    assert reply.status_code >= 400
    assert reply.headers["x-amzn-RequestId"]


def test_metrics_are_prometheus_text(tiny_server):
    reply = httpx.get(f"{tiny_server.url}/metrics")
    assert reply.headers["content-type"].startswith("text/plain")
    assert "# TYPE outcrop_model_loads_total counter" in reply.text
    assert "# TYPE outcrop_task_seconds histogram" in reply.text


def test_two_apps_in_one_process_keep_their_own_registries(tmp_path):
    build_app(Settings(home=tmp_path / "a"))
    build_app(Settings(home=tmp_path / "b"))  # a shared global registry would refuse the second set of metrics
