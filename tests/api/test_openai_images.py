"""The OpenAI-compatible images API through the real `openai` SDK against a live tiny-profile server: generations,
edits (OpenAI's transparent-means-edit masks), variations, OpenAI-shaped refusals, and the access layer's keys.

Tiny-profile images are noise; these tests check shapes, sizes, masks and that a request runs the same Task the
native API runs (same pixels), never what the images look like."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
from PIL import Image

from outcrop.access import Action, ApiKey, KeyFile
from support.live_server import TEST_KEY, TEST_SECRET, start_server

CANVAS = "amazon.nova-canvas-v1:0"
BOX = (96, 96, 224, 224)  # the region to edit in the 320x320 test images


def client(url: str, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def oa(tiny_server) -> openai.OpenAI:
    return client(tiny_server.url)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def photo() -> Image.Image:
    """320x320, a flat colour with a darker square: an input whose kept pixels are easy to compare."""
    image = Image.new("RGB", (320, 320), (200, 170, 120))
    image.paste((60, 80, 140), (20, 20, 80, 80))
    return image


def transparent_box(image: Image.Image) -> Image.Image:
    """`image` as RGBA with BOX fully transparent (alpha 0): OpenAI's way of saying 'edit here'."""
    rgba = image.convert("RGBA")
    rgba.paste((0, 0, 0, 0), BOX)
    return rgba


def decoded(item: object) -> Image.Image:
    data = getattr(item, "b64_json")  # noqa: B009  # the SDK's Image model
    assert data
    return Image.open(io.BytesIO(base64.b64decode(data)))


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


# --- generations ------------------------------------------------------------------------------------------------


def test_generate_returns_n_images_of_the_asked_size(oa):
    reply = oa.images.generate(model=CANVAS, prompt="a lighthouse", n=2, size="512x512", response_format="b64_json")
    assert reply.created > 0
    assert len(reply.data or []) == 2
    for item in reply.data or []:
        image = decoded(item)
        assert (image.format, image.size) == ("PNG", (512, 512))
    assert (reply.output_format, reply.size) == ("png", "512x512")


def test_generate_runs_the_task_the_native_api_runs(oa, tiny_server):
    """Same model, prompt, size and Nova Canvas's defaults (seed 12, cfgScale 6.5) -> the same pixels."""
    reply = oa.images.generate(prompt="a red kettle", size="320x320")  # model omitted: Nova Canvas
    config = {"width": 320, "height": 320, "seed": 12, "cfgScale": 6.5, "numberOfImages": 1}
    native = httpx.post(f"{tiny_server.url}/v1/images/generate", timeout=300,
                        json={"prompt": "a red kettle", "config": config, "modelId": CANVAS})  # fmt: skip
    assert native.status_code == 200, native.text
    expected = Image.open(io.BytesIO(base64.b64decode(native.json()["images"][0])))
    assert np.array_equal(pixels(decoded((reply.data or [])[0])), pixels(expected))


def test_generate_in_jpeg(oa):
    reply = oa.images.generate(prompt="a kite", size="320x320", output_format="jpeg", output_compression=80)
    assert decoded((reply.data or [])[0]).format == "JPEG"
    assert reply.output_format == "jpeg"


def test_region_prefixed_ids_and_titan_serve(oa):
    reply = oa.images.generate(model="us.amazon.nova-canvas-v1:0", prompt="a boat", size="320x320")
    assert decoded((reply.data or [])[0]).size == (320, 320)
    titan = oa.images.generate(model="amazon.titan-image-generator-v2:0", prompt="a boat", size="512x512")
    assert decoded((titan.data or [])[0]).size == (512, 512)


# --- edits --------------------------------------------------------------------------------------------------------


def _changed_inside_and_out(source: Image.Image, edited: Image.Image) -> tuple[float, float]:
    difference = np.abs(pixels(edited) - pixels(source)).mean(axis=-1)
    inside = np.zeros(difference.shape, dtype=bool)
    inside[BOX[1] : BOX[3], BOX[0] : BOX[2]] = True
    return float(difference[inside].mean()), float(difference[~inside].mean())


def test_edit_with_a_mask_changes_only_the_transparent_region(oa):
    source = photo()
    mask = transparent_box(Image.new("RGB", (320, 320), (255, 255, 255)))
    reply = oa.images.edit(model=CANVAS, image=("photo.png", png(source), "image/png"),
                           mask=("mask.png", png(mask), "image/png"), prompt="a window", n=1)  # fmt: skip
    assert len(reply.data or []) == 1
    edited = decoded((reply.data or [])[0])
    assert edited.size == (320, 320)
    inside, outside = _changed_inside_and_out(source, edited)
    assert outside < 2.0  # kept pixels are pasted back; only the invisible watermark moves them
    assert inside > 10.0  # the tiny model's noise replaced the transparent box


def test_edit_without_a_mask_uses_the_image_transparency(oa):
    source = photo()
    reply = oa.images.edit(image=("photo.png", png(transparent_box(source)), "image/png"), prompt="a door", n=2)
    assert len(reply.data or []) == 2
    for item in reply.data or []:
        inside, outside = _changed_inside_and_out(source, decoded(item))
        assert outside < 2.0 and inside > 10.0


def test_edit_needs_transparency_somewhere(oa):
    with pytest.raises(openai.BadRequestError) as caught:
        oa.images.edit(image=("photo.png", png(photo()), "image/png"), prompt="a door")
    assert "transparent" in caught.value.message
    assert caught.value.param == "mask"


def test_edit_mask_must_match_the_image(oa):
    mask = transparent_box(Image.new("RGB", (336, 320), (255, 255, 255)))
    with pytest.raises(openai.BadRequestError) as caught:
        oa.images.edit(image=("p.png", png(photo()), "image/png"), mask=("m.png", png(mask), "image/png"), prompt="x")
    assert "same size" in caught.value.message


def test_edit_takes_one_image(oa):
    images = [("a.png", png(photo()), "image/png"), ("b.png", png(photo()), "image/png")]
    with pytest.raises(openai.BadRequestError) as caught:
        oa.images.edit(image=images, prompt="x")
    assert "send one" in caught.value.message


def test_too_many_files_are_refused_before_decoding(tiny_server):
    files = [("image[]", (f"{i}.png", b"not decoded", "image/png")) for i in range(3)]
    reply = httpx.post(f"{tiny_server.url}/v1/images/edits", files=files, data={"prompt": "x"}, timeout=60)
    assert reply.status_code == 400
    assert "Too many files" in reply.json()["error"]["message"]


# --- variations ---------------------------------------------------------------------------------------------------


def test_variation_returns_an_image(oa):
    reply = oa.images.create_variation(model=CANVAS, image=("photo.png", png(photo()), "image/png"), size="320x320")
    assert len(reply.data or []) == 1
    assert decoded((reply.data or [])[0]).size == (320, 320)


# --- refusals in OpenAI's shape -----------------------------------------------------------------------------------


IDS = ["size-text", "size-small", "size-multiple", "n", "unknown-model", "not-image-model", "url", "background",
       "quality", "unknown-field"]  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "param", "fragment"),
    [
        ({"size": "huge"}, "size", "send WIDTHxHEIGHT"),
        ({"size": "256x256"}, "size", "send a value from 320 to 4096"),
        ({"size": "1000x1000"}, "size", "not a multiple of 16"),
        ({"n": 11}, "n", "send n from 1 to 5"),
        ({"model": "dall-e-3"}, "model", f"send model as one of: {CANVAS}"),
        ({"model": "amazon.titan-embed-text-v2:0"}, "model", "amazon.titan-image-generator-v2:0"),
        ({"response_format": "url"}, "response_format", "Send response_format b64_json"),
        ({"background": "transparent"}, "background", "send background opaque or auto"),
        ({"quality": "ultra"}, "quality", "send one of standard, hd"),
        ({"extra_body": {"seed": 3}}, "seed", "Unrecognized request argument supplied: seed"),
    ],
    ids=IDS,
)
def test_bad_generation_requests_say_what_to_send(oa, arguments, param, fragment):
    with pytest.raises(openai.BadRequestError) as caught:
        oa.images.generate(prompt="a lamp", **{"size": "320x320", **arguments})
    error = caught.value
    assert error.status_code == 400
    assert fragment.lower() in error.message.lower()
    assert error.param == param
    assert error.type == "invalid_request_error"


def test_refusals_of_the_model_family_keep_the_openai_shape(oa):
    with pytest.raises(openai.BadRequestError) as caught:
        oa.images.generate(prompt="x" * 1025, size="320x320")
    assert "at most 1024" in caught.value.message
    assert caught.value.code == "ValidationException"


def test_a_json_body_is_refused_on_the_multipart_routes(tiny_server):
    reply = httpx.post(f"{tiny_server.url}/v1/images/variations", json={"image": "x"}, timeout=60)
    assert reply.status_code == 400
    assert "multipart/form-data" in reply.json()["error"]["message"]


# --- access -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def locked(tmp_path_factory, models_dir):
    """A server with credentials configured, an all-actions key and a key for embedding models only."""
    home: Path = tmp_path_factory.mktemp("openai-auth-home")
    store = KeyFile(home / "api-keys.toml")
    embed_only = ApiKey("embed-only", "", actions=frozenset({Action.INVOKE}), models=("amazon.titan-embed-*",))
    secrets = {
        "all": store.create(ApiKey("openai-all", ""))[1],
        "embed": store.create(embed_only)[1],
        "no-invoke": store.create(ApiKey("jobs-only", "", actions=frozenset({Action.JOBS})))[1],
    }
    with start_server(home=home, models_dir=models_dir, profile="tiny", access_key_id=TEST_KEY,
                      secret_access_key=TEST_SECRET) as server:  # fmt: skip
        yield server, secrets


@pytest.mark.parametrize("path", ["generations", "edits", "variations"])
def test_an_unauthenticated_call_is_refused(locked, path):
    server, _ = locked
    reply = httpx.post(f"{server.url}/v1/images/{path}", json={"prompt": "x"}, timeout=60)
    assert reply.status_code == 403


def test_a_wrong_key_is_refused_by_the_sdk(locked):
    server, _ = locked
    with pytest.raises(openai.PermissionDeniedError):
        client(server.url, "outcrop_not-a-key").images.generate(prompt="a lamp", size="320x320")


def test_a_key_needs_invoke_and_the_model(locked):
    server, secrets = locked
    for label in ("embed", "no-invoke"):
        with pytest.raises(openai.PermissionDeniedError) as caught:
            client(server.url, secrets[label]).images.generate(prompt="a lamp", size="320x320")
        assert "may not use" in caught.value.message


def test_a_bearer_key_generates(locked):
    server, secrets = locked
    reply = client(server.url, secrets["all"]).images.generate(prompt="a lamp", size="320x320")
    assert decoded((reply.data or [])[0]).size == (320, 320)
