"""Every response carries a request id (the caller's, or a new one); /metrics is Prometheus text per app."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from prometheus_client.parser import text_string_to_metric_families

from outcrop.api.app import build_app
from outcrop.jobs import JobSpec
from outcrop.sdk.inprocess import ASGIThreadTransport
from outcrop.services import build_services
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


def jobs_by_status(text: str) -> dict[str, float]:
    [family] = [f for f in text_string_to_metric_families(text) if f.name == "outcrop_jobs"]
    return {sample.labels["status"]: sample.value for sample in family.samples}


def test_metrics_count_jobs_by_status_at_each_scrape(tmp_path, models_dir):
    services = build_services(Settings(home=tmp_path, models_path=models_dir, profile="tiny", job_workers=0))
    transport = ASGIThreadTransport(build_app(services.settings, services))
    with httpx.Client(transport=transport, base_url="http://outcrop.local") as http:
        assert jobs_by_status(http.get("/metrics").text) == {"InProgress": 0, "Completed": 0, "Failed": 0}
        store, now = services.jobs.store, datetime.now(UTC)
        for token in ("a", "b", "c"):
            spec = JobSpec("m", "arn", {}, "file:///tmp/out/", token, token, "q")
            store.submit(spec, f"job{token}", f"arn:{token}", now)
        store.claim("w", ["q"], 30, now, job_id="jobc")
        store.fail("jobc", "w", "broken", now)
        assert jobs_by_status(http.get("/metrics").text) == {"InProgress": 2, "Completed": 0, "Failed": 1}
    transport.close()
