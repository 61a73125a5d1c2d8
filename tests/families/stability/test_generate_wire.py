"""Stability AI's generators through a real boto3 client on a tiny-profile server: Ultra, Core and SD3.5 Large
(and a `us.` id) answer `{seeds, finish_reasons, images}` at the size `aspect_ratio` names; image-to-image where
the model has it; typed ValidationExceptions for the rules."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from outcrop.families.stability.common import size_for
from support.images import jpeg_b64, png_b64

GENERATORS = [
    "stability.stable-image-ultra-v1:0",
    "stability.stable-image-ultra-v1:1",
    "stability.stable-image-core-v1:0",
    "stability.stable-image-core-v1:1",
    "stability.sd3-5-large-v1:0",
    "us.stability.sd3-5-large-v1:0",
]
IMAGE_TO_IMAGE = ["stability.stable-image-ultra-v1:1", "stability.sd3-5-large-v1:0"]


def invoke(runtime, model: str, body: dict) -> tuple[dict, list[Image.Image]]:
    reply = json.loads(runtime.invoke_model(modelId=model, body=json.dumps(body))["body"].read())
    return reply, [Image.open(io.BytesIO(base64.b64decode(data))) for data in reply["images"]]


def refused(runtime, model: str, body: dict) -> str:
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId=model, body=json.dumps(body))
    return str(caught.value)


@pytest.mark.parametrize("model", GENERATORS)
def test_each_generator_answers_seeds_finish_reasons_and_images(runtime, model):
    reply, (image,) = invoke(runtime, model, {"prompt": "a lighthouse at dusk", "seed": 11})
    assert reply["seeds"] == [11] and reply["finish_reasons"] == [None]
    assert image.format == "PNG" and image.size == (1024, 1024)  # 1:1 by default


@pytest.mark.parametrize("ratio", ["16:9", "9:21", "4:5"])
def test_the_output_size_follows_aspect_ratio(runtime, ratio):
    _, (image,) = invoke(runtime, "stability.stable-image-core-v1:1", {"prompt": "a fox", "aspect_ratio": ratio})
    assert image.size == size_for(ratio)
    across, down = (int(part) for part in ratio.split(":"))
    assert abs(image.width / image.height - across / down) < 0.05


def test_seed_zero_picks_a_seed_and_says_which(runtime):
    reply, _ = invoke(runtime, "stability.stable-image-ultra-v1:0", {"prompt": "a fox", "seed": 0})
    assert reply["seeds"][0] > 0


def test_the_same_seed_gives_the_same_pixels(runtime):
    body = {"prompt": "a red kite", "seed": 5, "aspect_ratio": "3:2"}
    _, (first,) = invoke(runtime, "stability.sd3-5-large-v1:0", body)
    _, (second,) = invoke(runtime, "stability.sd3-5-large-v1:0", body)
    assert first.tobytes() == second.tobytes()


@pytest.mark.parametrize(("output_format", "pil_format"), [("jpeg", "JPEG"), ("webp", "WEBP")])
def test_output_format(runtime, output_format, pil_format):
    _, (image,) = invoke(runtime, "stability.sd3-5-large-v1:0", {"prompt": "a boat", "output_format": output_format})
    assert image.format == pil_format


@pytest.mark.parametrize("model", IMAGE_TO_IMAGE)
def test_image_to_image_keeps_the_input_aspect(runtime, model):
    body = {"prompt": "a watercolour", "mode": "image-to-image", "image": jpeg_b64(600, 400), "strength": 0.6,
            "seed": 4}  # fmt: skip
    reply, (image,) = invoke(runtime, model, body)
    assert reply["seeds"] == [4] and reply["finish_reasons"] == [None]
    assert image.size == (1280, 832)  # about a megapixel at 3:2, in multiples of 64


def test_image_to_image_at_strength_zero_returns_the_input(runtime):
    body = {"prompt": "anything", "mode": "image-to-image", "image": png_b64(512, 512, (10, 200, 60)), "strength": 0}
    _, (image,) = invoke(runtime, "stability.sd3-5-large-v1:0", body)
    pixel = image.convert("RGB").getpixel((500, 500))
    assert all(abs(a - b) <= 3 for a, b in zip(pixel, (10, 200, 60), strict=True))  # only the watermark differs


@pytest.mark.parametrize(
    ("model", "body", "says"),
    [
        ("stability.sd3-5-large-v1:0", {"prompt": "x", "strength": 0.5}, "image and strength apply to mode"),
        ("stability.sd3-5-large-v1:0", {"prompt": "x", "mode": "image-to-image", "strength": 0.5}, "needs image"),
        ("stability.sd3-5-large-v1:0", {"prompt": "x", "mode": "image-to-image", "image": png_b64(256, 256)},
         "needs strength"),
        ("stability.sd3-5-large-v1:0",
         {"prompt": "x", "mode": "image-to-image", "image": png_b64(256, 256), "strength": 0.5, "aspect_ratio": "1:1"},
         "aspect_ratio applies to mode text-to-image only"),
        ("stability.stable-image-core-v1:1",
         {"prompt": "x", "mode": "image-to-image", "image": png_b64(256, 256), "strength": 0.5},
         "generates from text only"),
        ("stability.stable-image-core-v1:0", {"prompt": "x", "image": png_b64(256, 256), "strength": 0.5},
         "generates from text only"),
        ("stability.stable-image-ultra-v1:1", {"prompt": "x", "aspect_ratio": "7:3"}, "not a valid enum value"),
        ("stability.stable-image-ultra-v1:1", {"prompt": "x", "output_format": "webp"}, "not a valid enum value"),
        ("us.stability.stable-image-core-v1:1", {"prompt": "x", "style": "anime"}, "extraneous key [style]"),
        ("stability.sd3-5-large-v1:0", {"negative_prompt": "x"}, "required key [prompt]"),
        ("stability.sd3-5-large-v1:0", {"prompt": "x", "strength": 1.5, "image": png_b64(256, 256)},
         "less or equal to 1"),
        ("stability.sd3-5-large-v1:0", {"prompt": "x", "seed": 4294967295}, "less or equal to 4294967294"),
        ("stability.sd3-5-large-v1:0",
         {"prompt": "x", "mode": "image-to-image", "image": png_b64(40, 40), "strength": 0.5}, "64"),
    ],
    ids=["strength-without-image", "no-image", "no-strength", "aspect-with-image", "core-mode", "core-image",
         "bad-aspect", "ultra-webp", "unknown-key", "no-prompt", "strength-range", "seed-range", "tiny-image"],
)  # fmt: skip
def test_rules(runtime, model, body, says):
    assert says in refused(runtime, model, body)
