"""The scale-out path: the API dispatches jobs through a real Redis-protocol server (Valkey) to a real Celery
worker process (`outcrop worker`), which shares job state with the API in a real PostgreSQL and writes the files.

A worker killed mid-job is replaced; the API's reaper sends the job again once its lease runs out, and it
completes on its second attempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from outcrop.tasks.video_codec import probe_mp4
from support.live_server import LiveServer, start_server
from support.redis_local import local_redis
from support.server_process import kill_hard, poll_job, spawn, stop

LEASE_S = 2.0


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with local_redis() as url:
        yield url


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, broker: str,
        postgres_dsn: str) -> Iterator[LiveServer]:  # fmt: skip
    home = tmp_path_factory.mktemp("celery-home")
    with start_server(home=home, models_dir=models_dir, profile="tiny", broker_url=broker,
                      jobs_dsn=postgres_dsn, job_lease_s=LEASE_S) as server:  # fmt: skip
        yield server


def worker_env(api: LiveServer, broker: str) -> dict[str, str]:
    assert api.settings.jobs_dsn is not None
    return {"OUTCROP_HOME": str(api.settings.home), "OUTCROP_MODELS_PATH": str(api.settings.models_dir),
            "OUTCROP_BROKER_URL": broker, "OUTCROP_JOBS_DSN": api.settings.jobs_dsn,
            "OUTCROP_JOB_LEASE_S": str(LEASE_S)}  # fmt: skip


@pytest.fixture
def workers() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for process in started:
        stop(process)


def start_worker(api: LiveServer, broker: str, log: Path, workers: list[Any]) -> Any:
    process = spawn(["--profile", "tiny", "worker", "--queue", "nova-reel-v1-1"], worker_env(api, broker), log)
    workers.append(process)
    return process


def submit(api: LiveServer, model_input: dict[str, Any]) -> dict[str, Any]:
    body = {"modelId": "amazon.nova-reel-v1:1", "modelInput": model_input}
    response = httpx.post(f"{api.url}/v1/video/jobs", json=body, timeout=30)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    return job


def single_shot(seed: int) -> dict[str, Any]:
    return {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "a lamp"},
            "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": seed}}  # fmt: skip


def test_celery_worker_runs_the_job(api: LiveServer, broker: str, workers: list[Any], tmp_path: Path) -> None:
    start_worker(api, broker, tmp_path / "worker.log", workers)
    job = submit(api, single_shot(1))
    done = poll_job(api.url, job["id"], lambda j: j["status"] != "InProgress")
    assert done["status"] == "Completed", (done, (tmp_path / "worker.log").read_text()[-3000:])
    assert done["files"] == ["manifest.json", "output.mp4"]
    video = httpx.get(f"{api.url}/v1/jobs/{job['id']}/files/output.mp4", timeout=30).content
    (tmp_path / "out.mp4").write_bytes(video)
    assert probe_mp4(tmp_path / "out.mp4").frames == 144


def test_killed_worker_is_replaced_and_job_completes_once(api: LiveServer, broker: str, workers: list[Any],
                                                         tmp_path: Path) -> None:  # fmt: skip
    start_worker(api, broker, tmp_path / "w1.log", workers)
    model_input = {"taskType": "MULTI_SHOT_AUTOMATED", "multiShotAutomatedParams": {"text": "A lamp. A desk."},
                   "videoGenerationConfig": {"durationSeconds": 18, "fps": 24, "dimension": "1280x720", "seed": 9}}  # fmt: skip
    job = submit(api, model_input)
    poll_job(api.url, job["id"], lambda j: j["progress"] > 0)
    kill_hard(workers.pop())
    start_worker(api, broker, tmp_path / "w2.log", workers)
    done = poll_job(api.url, job["id"], lambda j: j["status"] != "InProgress")
    assert (done["status"], done["attempts"]) == ("Completed", 2), done
    assert done["files"] == ["manifest.json", "output.mp4", "shot_0001.mp4", "shot_0002.mp4", "shot_0003.mp4"]
