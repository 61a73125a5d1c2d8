"""Model residency through boto3 on fresh tiny-profile servers: three families' first requests at the same moment all
succeed (each model loading once), and a one-byte memory budget keeps one model resident while three families
take turns."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.live_server import LiveServer, start_server
from support.s3_local import LocalS3

CANVAS = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a lamp"},
          "imageGenerationConfig": {"width": 320, "height": 320, "seed": 3}}  # fmt: skip
REEL = {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "a kettle, slow pan"},
        "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": 1}}  # fmt: skip
TITAN = {"inputText": "a red kettle"}
CONVERSE = [{"role": "user", "content": [{"text": "hello"}]}]


def invoke(runtime: Any, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
    reply: dict[str, Any] = json.loads(runtime.invoke_model(modelId=model_id, body=json.dumps(body))["body"].read())
    return reply


def reel_job(runtime: Any, bucket: str) -> str:
    arn = runtime.start_async_invoke(modelId="amazon.nova-reel-v1:0", modelInput=REEL,
                                     outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}"}})["invocationArn"]  # fmt: skip
    deadline = time.monotonic() + 300
    while (job := runtime.get_async_invoke(invocationArn=arn))["status"] == "InProgress":
        assert time.monotonic() < deadline, "the Reel job did not finish in 300 s"
        time.sleep(0.5)
    return f"{job['status']}: {job.get('failureMessage', '')}"


def at_once(calls: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Run each call in its own thread, released together; each name maps to its result or the exception."""
    results: dict[str, object] = {}
    barrier = threading.Barrier(len(calls))

    def run(name: str, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[name] = call()
        except Exception as exc:  # the test reports every failure, not just the first
            results[name] = exc

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def residency_of(server: LiveServer) -> Any:
    return server.server.config.app.state.outcrop.executor.residency


@pytest.fixture
def bucket(s3_server: LocalS3) -> str:
    name = f"residency-{uuid.uuid4().hex[:10]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_first_requests_of_three_families_at_once_all_succeed(attempt, tmp_path: Path, models_dir: Path,
                                                             s3_server: LocalS3, bucket: str) -> None:  # fmt: skip
    credentials = {"s3_access_key_id": s3_server.key, "s3_secret_access_key": s3_server.secret}
    with start_server(tmp_path, models_dir, "tiny", s3_endpoint_url=s3_server.endpoint, **credentials) as server:
        clients = [server.client("bedrock-runtime") for _ in range(3)]
        results = at_once({
            "reel": lambda: reel_job(clients[0], bucket),
            "canvas": lambda: len(invoke(clients[1], "amazon.nova-canvas-v1:0", CANVAS)["images"]),
            "titan": lambda: len(invoke(clients[2], "amazon.titan-embed-image-v1", TITAN)["embedding"]),
        })  # fmt: skip
        assert results == {"reel": "Completed: ", "canvas": 1, "titan": 1024}, results
        assert residency_of(server).stats.loads == 3  # each model loaded once


def test_one_byte_budget_keeps_one_model_and_serves_three_families_in_turn(tmp_path: Path, models_dir: Path) -> None:
    with start_server(tmp_path, models_dir, "tiny", model_memory_budget=1) as server:
        runtime = server.client("bedrock-runtime")
        residency = residency_of(server)
        for turn in range(2):
            text = {"inputText": f"a red kettle, turn {turn}"}  # a new text: a repeat is answered from the cache
            assert len(invoke(runtime, "amazon.titan-embed-image-v1", text)["embedding"]) == 1024
            assert [i.key for i in residency.snapshot() if i.loaded] == ["clip:tiny-clip"]
            image = invoke(runtime, "amazon.nova-canvas-v1:0", CANVAS)["images"][0]
            assert base64.b64decode(image).startswith(b"\x89PNG")
            reply = runtime.converse(modelId="amazon.nova-micro-v1:0", messages=CONVERSE)
            assert reply["stopReason"] in ("end_turn", "max_tokens")
            assert sum(info.loaded for info in residency.snapshot()) == 1
        assert residency.stats.evictions == 5
        metrics = httpx.get(f"{server.url}/metrics").text
        assert "outcrop_model_evictions_total 5.0" in metrics
        assert 'outcrop_task_seconds_count{model="amazon.nova-micro-v1:0",task="CONVERSE"} 2.0' in metrics
        health = httpx.get(f"{server.url}/health").json()
        assert health["memory"]["cpu"]["budget"] == 1
        assert health["devices"]["resolved"] == ["cpu"]
