"""The server, the Celery worker and the in-process SDK client build their services from one root,
`build_services(settings)`, so they cannot drift apart (the worker once lacked devices, residency and release)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import outcrop.api.app
import outcrop.services
from outcrop.api.app import build_app
from outcrop.catalog import Family
from outcrop.cli.main import cli
from outcrop.jobs import celery_queue
from outcrop.sdk import InProcessClient
from outcrop.sdk.inprocess import ASGIThreadTransport
from outcrop.services import Services, build_services
from outcrop.services.video_jobs import VideoJobHandler
from outcrop.settings import Settings


class RootSpy:
    """Wraps the real build_services and keeps what it was given and what it built."""

    def __init__(self) -> None:
        self.calls: list[tuple[Settings, Services]] = []

    def __call__(self, settings: Settings, *args: Any, **kwargs: Any) -> Services:
        services = build_services(settings, *args, **kwargs)
        self.calls.append((settings, services))
        return services


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> RootSpy:
    recorder = RootSpy()
    monkeypatch.setattr(outcrop.services, "build_services", recorder)
    monkeypatch.setattr(outcrop.api.app, "build_services", recorder)
    return recorder


def worker_env(home: Path, models_dir: Path) -> dict[str, str]:
    return {"OUTCROP_HOME": str(home), "OUTCROP_MODELS_PATH": str(models_dir), "OUTCROP_PROFILE": "tiny",
            "OUTCROP_BROKER_URL": "redis://127.0.0.1:1/0", "OUTCROP_MODEL_MEMORY_BUDGET": "12345",
            "OUTCROP_DEVICE": "cpu", "OUTCROP_RELEASE_LOCATION": str(home / "released")}  # fmt: skip


def test_worker_runs_jobs_with_the_services_of_the_root(spy, monkeypatch, tmp_path, models_dir):
    runs: list[tuple[Any, list[str]]] = []
    monkeypatch.setattr(celery_queue, "run_worker", lambda url, runner, queues, hostname: runs.append((runner, queues)))
    env = worker_env(tmp_path, models_dir)
    result = CliRunner().invoke(cli, ["worker", "--queue", "nova-reel-v1-1"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [(settings, services)] = spy.calls
    assert settings == Settings(**{"home": tmp_path, "models_path": models_dir, "profile": "tiny",
                                   "broker_url": env["OUTCROP_BROKER_URL"], "model_memory_budget": 12345,
                                   "device": "cpu", "release_location": env["OUTCROP_RELEASE_LOCATION"]})  # fmt: skip
    [(runner, queues)] = runs
    assert queues == ["nova-reel-v1-1"] and list(runner.config.queues) == queues
    assert runner.handler is services.job_workers.runner.handler and runner.store is services.jobs.store
    handler = runner.handler  # the Reel handler, alone or among the per-family handlers
    handler = handler if isinstance(handler, VideoJobHandler) else handler.by_family[Family.NOVA_REEL_V1_1]
    assert isinstance(handler, VideoJobHandler) and handler.executor is services.executor
    assert handler.release.review is services.review and services.review.release_to == str(tmp_path / "released")
    assert services.executor.residency._budget == 12345  # the server's budget, not an unbounded default
    assert services.closed  # the worker closes what it built when Celery returns


def test_server_is_built_from_the_root(spy, tmp_path, models_dir):
    settings = Settings(home=tmp_path, models_path=models_dir, profile="tiny")
    app = build_app(settings)
    [(given, services)] = spy.calls
    assert given is settings and app.state.outcrop is services
    services.close()


def test_in_process_client_is_built_from_the_root_and_closes_it(spy, tmp_path, models_dir):
    settings = Settings(home=tmp_path, models_path=models_dir, profile="tiny")
    with InProcessClient(settings):
        [(given, services)] = spy.calls
        assert given is settings and not services.closed
    assert services.closed


def test_a_second_app_on_the_same_home_opens_the_vector_index_the_first_closed(tmp_path, models_dir):
    """The app's shutdown closes the S3 Vectors service with the rest (an index left open made the next app on the
    same home in this process fail with IndexLockedError)."""
    settings = Settings(home=tmp_path, models_path=models_dir, profile="tiny")
    names = {"vectorBucketName": "bucket-1", "indexName": "index-1"}
    for round_ in range(2):
        transport = ASGIThreadTransport(build_app(settings))
        with httpx.Client(transport=transport, base_url="http://outcrop.local") as http:
            if round_ == 0:
                http.post("/CreateVectorBucket", json={"vectorBucketName": "bucket-1"}).raise_for_status()
                index = {**names, "dataType": "float32", "dimension": 2, "distanceMetric": "cosine"}
                http.post("/CreateIndex", json=index).raise_for_status()
            vector = {"key": f"k{round_}", "data": {"float32": [1.0, float(round_)]}}
            reply = http.post("/PutVectors", json={**names, "vectors": [vector]})
            assert reply.status_code == 200, reply.text
        transport.close()
