"""GET /v1/models (the facts `outcrop models list` shows) and background pulls."""

from __future__ import annotations

import time

import httpx


def test_models_list_has_bindings_and_install_state(tiny_server):
    listing = httpx.get(f"{tiny_server.url}/v1/models").json()
    assert listing["profile"] == "tiny"
    models = {m["modelId"]: m for m in listing["models"]}
    canvas = models["amazon.nova-canvas-v1:0"]
    assert canvas["family"] == "nova-canvas"
    assert canvas["tasks"]["TEXT_TO_IMAGE"] == [
        {"backend": "diffusion", "weights": "tiny-diffusion", "installed": True, "serving": True}
    ]
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
