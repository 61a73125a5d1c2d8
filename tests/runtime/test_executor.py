"""Executor behaviour through the wire: busy models queue, full queues throttle, crashes stay local."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from outcrop.backends import registry
from support import double_backend
from support.live_server import start_server

OVERLAY = """
[weights.double]
description = "deterministic test double"
builtin = true

[profiles.tiny.bindings."amazon.nova-micro-v1:0"]
CONVERSE = { backend = "double", weights = "double" }
"""


@pytest.fixture(scope="module")
def double_live(tmp_path_factory, models_dir):
    home = tmp_path_factory.mktemp("executor-home")
    (home / "catalog.toml").write_text(OVERLAY)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry.BACKENDS, "double", "support.double_backend:load")
        with start_server(home=home, models_dir=models_dir, profile="tiny", queue_size=2) as server:
            yield server


@pytest.fixture(scope="module")
def double_runtime(double_live):
    return double_live.client("bedrock-runtime")


def say(client, text: str) -> str:
    reply = client.converse(modelId="amazon.nova-micro-v1:0", messages=[{"role": "user", "content": [{"text": text}]}])
    return reply["output"]["message"]["content"][0]["text"]


def test_catalog_overlay_binds_the_model(double_runtime):
    assert say(double_runtime, "hello") == "echo: hello"
    assert double_backend.LOADS[-1].weights == "double"


def test_busy_model_queues_requests_one_at_a_time(double_runtime):
    with ThreadPoolExecutor(max_workers=3) as pool:
        replies = list(pool.map(lambda i: say(double_runtime, f"sleep 0.2 {i}"), range(3)))
    assert replies == [f"echo: sleep 0.2 {i}" for i in range(3)]


def test_full_queue_answers_throttling(double_runtime):
    started = threading.Event()
    results: list[str] = []

    def call(text: str) -> None:
        started.set()
        try:
            results.append(say(double_runtime, text))
        except ClientError as exc:
            results.append(exc.response["Error"]["Code"])

    threads = [threading.Thread(target=call, args=("sleep 1.0",)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "ThrottlingException" in results
    assert results.count("echo: sleep 1.0") >= 2


def test_backend_crash_is_model_error_and_server_keeps_serving(double_runtime):
    with pytest.raises(double_runtime.exceptions.ModelErrorException) as caught:
        say(double_runtime, "crash")
    assert "the double was told to crash" in caught.value.response["Error"]["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert say(double_runtime, "still there?") == "echo: still there?"


def test_preload_loads_before_the_first_request(tmp_path, models_dir):
    (tmp_path / "catalog.toml").write_text(OVERLAY)
    before = len(double_backend.LOADS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry.BACKENDS, "double", "support.double_backend:load")
        with start_server(
            home=tmp_path, models_dir=models_dir, profile="tiny", preload=("amazon.nova-micro-v1:0",)
        ) as server:
            workers = server.server.config.app.state.outcrop.executor.workers()
            for worker in workers.values():
                worker.warm().result(timeout=10)
            assert len(double_backend.LOADS) == before + 1
            assert all(worker.loaded for worker in workers.values())


def test_a_client_that_leaves_stops_its_model_work(double_live, double_runtime):
    impatient = double_live.client("bedrock-runtime", config=Config(read_timeout=0.5, retries={"max_attempts": 1}))
    with pytest.raises(ReadTimeoutError):
        say(impatient, "steps 500")  # ~10 s of steps; the client gives up after 0.5 s and closes its connection
    assert say(double_runtime, "next") == "echo: next"  # served once the abandoned task stopped, not after 500 steps
    assert 0 < double_backend.STEPS_TAKEN[-1] < 500


def test_a_timed_out_request_stops_its_model_work(tmp_path, models_dir):
    (tmp_path / "catalog.toml").write_text(OVERLAY)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry.BACKENDS, "double", "support.double_backend:load")
        with start_server(home=tmp_path, models_dir=models_dir, profile="tiny", request_timeout_s=0.5) as server:
            client = server.client("bedrock-runtime")
            with pytest.raises(client.exceptions.ModelTimeoutException):
                say(client, "steps 500")
            assert say(client, "next") == "echo: next"
    assert 0 < double_backend.STEPS_TAKEN[-1] < 500
