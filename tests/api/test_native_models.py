"""GET /v1/models (the facts `outcrop models list` shows) and background pulls."""

from __future__ import annotations

import time
from typing import Any

import httpx

from outcrop.tasks import TaskKind
from support.live_server import LiveServer


def test_models_list_has_bindings_and_install_state(tiny_server):
    listing = httpx.get(f"{tiny_server.url}/v1/models").json()
    assert listing["profile"] == "tiny"
    models = {m["modelId"]: m for m in listing["models"]}
    canvas = models["amazon.nova-canvas-v1:0"]
    assert canvas["family"] == "nova-canvas"
    [image] = canvas["tasks"]["TEXT_TO_IMAGE"]
    assert {k: image[k] for k in ("backend", "weights", "installed", "serving")} == {
        "backend": "diffusion",
        "weights": "tiny-diffusion",
        "installed": True,
        "serving": True,
    }
    assert {"device", "dtype", "resident", "pinned", "bytes"} <= image.keys()
    assert canvas["tasks"]["REMOVE_BACKGROUND"][0]["weights"] == "isnet-general-small"
    assert models["amazon.nova-reel-v1:0"]["tasks"] == {} or "TEXT_TO_VIDEO" in models["amazon.nova-reel-v1:0"]["tasks"]


def test_pull_of_built_in_weights_completes(tiny_server):
    started = httpx.post(f"{tiny_server.url}/v1/models/pull", json={"names": ["tiny-diffusion"]})
    assert started.status_code == 202
    pull = started.json()
    assert pull["names"] == ["tiny-diffusion"]
    deadline = time.monotonic() + 30
    while pull["status"] == "InProgress" and time.monotonic() < deadline:
        time.sleep(0.05)
        pull = httpx.get(f"{tiny_server.url}/v1/models/pulls/{pull['id']}").json()
    assert pull["status"] == "Completed"
    assert any("built in" in line for line in pull["log"])


def test_pull_of_unknown_weights_is_refused(tiny_server):
    reply = httpx.post(f"{tiny_server.url}/v1/models/pull", json={"names": ["no-such-weights"]})
    assert reply.status_code == 400
    assert reply.json()["__type"] == "ValidationException"
    assert "unknown weights or model" in reply.json()["message"]


def test_unknown_pull_id_is_not_found(tiny_server):
    reply = httpx.get(f"{tiny_server.url}/v1/models/pulls/pull-nope")
    assert reply.status_code == 404
    assert reply.json()["__type"] == "ResourceNotFoundException"


MODEL = "amazon.titan-embed-image-v1"  # tiny-clip in the tiny profile


def embed_binding(model: dict[str, Any]) -> dict[str, Any]:
    [binding] = [b for b in model["tasks"]["EMBED"] if b["serving"]]
    return binding


def listed(server: LiveServer, model_id: str) -> dict[str, Any]:
    [model] = [m for m in httpx.get(f"{server.url}/v1/models").json()["models"] if m["modelId"] == model_id]
    return model


def test_load_then_unload_shows_where_the_model_runs(tiny_server):
    loaded = httpx.post(f"{tiny_server.url}/v1/models/{MODEL}/load", timeout=120)
    assert loaded.status_code == 200, loaded.text
    binding = embed_binding(loaded.json())
    where = tiny_server.server.config.app.state.outcrop.executor.devices.default()  # cpu float32 without a GPU
    assert (binding["resident"], binding["device"], binding["dtype"]) == (True, where.device, where.dtype)
    assert binding["bytes"] > 0 and listed(tiny_server, MODEL)["resident"] is True
    unloaded = httpx.post(f"{tiny_server.url}/v1/models/{MODEL}/unload")
    assert unloaded.status_code == 200, unloaded.text
    assert embed_binding(unloaded.json())["resident"] is False
    assert embed_binding(listed(tiny_server, MODEL))["resident"] is False


def test_pin_keeps_a_model_loaded_until_unpinned(tiny_server):
    residency = tiny_server.server.config.app.state.outcrop.executor.residency
    pinned = embed_binding(httpx.post(f"{tiny_server.url}/v1/models/{MODEL}/pin", timeout=120).json())
    assert pinned["resident"] and pinned["pinned"]
    assert any(info.pinned and info.loaded for info in residency.snapshot())
    unpinned = embed_binding(httpx.post(f"{tiny_server.url}/v1/models/{MODEL}/unpin").json())
    assert unpinned["resident"] and not unpinned["pinned"]
    assert not any(info.pinned for info in residency.snapshot())


def test_unload_of_a_model_in_use_is_a_conflict(tiny_server):
    executor = tiny_server.server.config.app.state.outcrop.executor
    httpx.post(f"{tiny_server.url}/v1/models/{MODEL}/load", timeout=120).raise_for_status()
    key = executor.binding_key(executor.catalog.resolve(MODEL), TaskKind.EMBED)
    executor.residency.reserve(key)  # what a queued task does
    try:
        reply = httpx.post(f"{tiny_server.url}/v1/models/{MODEL}/unload")
    finally:
        executor.residency.release(key)
    assert reply.status_code == 400
    assert reply.json()["__type"] == "ConflictException" and "task" in reply.json()["message"]
    assert embed_binding(listed(tiny_server, MODEL))["resident"] is True


def test_load_of_an_unknown_model_is_refused(tiny_server):
    reply = httpx.post(f"{tiny_server.url}/v1/models/no.such-model-v1/load")
    assert reply.status_code == 400
    assert reply.json()["__type"] == "ValidationException"
