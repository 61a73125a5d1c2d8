"""A server SIGKILLed in the middle of a video job: after a restart the job completes exactly once.

The server runs as a real child process writing to a real S3 server. After the kill the job folder must be empty
(nothing half-written is visible); after the restart the same job, on its second attempt, completes with one full
set of files and no staging leftovers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.live_server import free_port
from support.s3_local import LocalS3
from support.server_process import kill_hard, poll_job, spawn, stop, wait_healthy

BUCKET = "recovery-bucket"


@pytest.fixture
def server_env(tmp_path: Path, models_dir: Path, s3_server: LocalS3) -> dict[str, str]:
    s3_server.client().create_bucket(Bucket=BUCKET)
    return {
        "OUTCROP_HOME": str(tmp_path / "home"),
        "OUTCROP_MODELS_PATH": str(models_dir),
        "OUTCROP_S3_ENDPOINT_URL": s3_server.endpoint,
        "OUTCROP_S3_ACCESS_KEY_ID": s3_server.key,
        "OUTCROP_S3_SECRET_ACCESS_KEY": s3_server.secret,
        "OUTCROP_JOB_LEASE_S": "2",
    }


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for process in started:
        stop(process)


def start(env: dict[str, str], port: int, log: Path, servers: list[Any]) -> str:
    process = spawn(["--profile", "tiny", "serve", "--port", str(port)], env, log)
    servers.append(process)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process)
    return url


def test_sigkill_mid_job_then_restart_completes_once(server_env: dict[str, str], s3_server: LocalS3,
                                                     servers: list[Any], tmp_path: Path) -> None:  # fmt: skip
    port = free_port()
    url = start(server_env, port, tmp_path / "server.log", servers)
    model_input = {"taskType": "MULTI_SHOT_AUTOMATED",
                   "multiShotAutomatedParams": {"text": "A kettle. A cup. Steam rises. Tea is poured."},
                   "videoGenerationConfig": {"durationSeconds": 24, "fps": 24, "dimension": "1280x720", "seed": 5}}  # fmt: skip
    body = {"modelId": "amazon.nova-reel-v1:1", "modelInput": model_input, "outputUri": f"s3://{BUCKET}/out"}
    job = httpx.post(f"{url}/v1/video/jobs", json=body, timeout=30).json()
    poll_job(url, job["id"], lambda j: j["progress"] > 0)
    kill_hard(servers.pop())

    s3 = s3_server.client()
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix=f"out/{job['id']}").get("KeyCount") == 0

    url = start(server_env, port, tmp_path / "server2.log", servers)
    done = poll_job(url, job["id"], lambda j: j["status"] != "InProgress")
    assert (done["status"], done["attempts"]) == ("Completed", 2), done
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    shots = [f"out/{job['id']}/shot_{i:04d}.mp4" for i in range(1, 5)]
    assert keys == [f"out/{job['id']}/manifest.json", f"out/{job['id']}/output.mp4", *shots]
    listed = httpx.get(f"{url}/v1/jobs", timeout=10).json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]
