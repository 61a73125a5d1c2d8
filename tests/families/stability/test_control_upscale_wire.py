"""Stability AI's control, style and upscale services through a real boto3 client on a tiny-profile server: each
id (and a `us.` id) answers `{seeds, finish_reasons, images}` with one decodable image of the right size; one row
per validation rule answers a ValidationException saying what to send."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image, ImageDraw

from outcrop.families.stability.service import size_like
from outcrop.families.stability.upscale import target_size
from support.images import png_b64


def b64(image: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def sketch(width: int = 128, height: int = 96) -> Image.Image:
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).rectangle((20, 20, width - 20, height - 20), outline="black", width=3)
    return image


def invoke(runtime, model: str, body: dict) -> tuple[dict, list[Image.Image]]:
    reply = json.loads(runtime.invoke_model(modelId=model, body=json.dumps(body))["body"].read())
    return reply, [Image.open(io.BytesIO(base64.b64decode(data))) for data in reply["images"]]


def refused(runtime, model: str, body: dict) -> str:
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId=model, body=json.dumps(body))
    return str(caught.value)


SKETCH = b64(sketch())
STYLE = png_b64(64, 64, (30, 160, 90))
CASES = {
    "stability.stable-image-control-sketch-v1:0": ({"prompt": "a house", "image": SKETCH, "seed": 3}, size_like(sketch())),
    "us.stability.stable-image-control-sketch-v1:0": ({"prompt": "a house", "image": SKETCH, "seed": 3}, size_like(sketch())),
    "stability.stable-image-control-structure-v1:0": (
        {"prompt": "a glass house", "image": SKETCH, "control_strength": 0.4, "seed": 3}, size_like(sketch())
    ),
    "stability.stable-image-style-guide-v1:0": (
        {"prompt": "a fox", "image": STYLE, "aspect_ratio": "16:9", "fidelity": 0.8, "seed": 3}, (1344, 768)
    ),
    "stability.stable-style-transfer-v1:0": ({"init_image": SKETCH, "style_image": STYLE, "seed": 3}, size_like(sketch())),
    "stability.stable-fast-upscale-v1:0": ({"image": png_b64(48, 40)}, (192, 160)),
    "stability.stable-conservative-upscale-v1:0": (
        {"prompt": "a red wall", "image": png_b64(128, 64), "seed": 3}, target_size(Image.new("RGB", (128, 64)))
    ),
    "stability.stable-creative-upscale-v1:0": (
        {"prompt": "a red wall", "image": png_b64(64, 64), "creativity": 0.45, "seed": 3}, (2048, 2048)
    ),
}  # fmt: skip


@pytest.mark.parametrize("model", list(CASES))
def test_each_service_answers_seeds_finish_reasons_and_one_image_of_the_right_size(runtime, model):
    body, size = CASES[model]
    reply, (image,) = invoke(runtime, model, body)
    assert set(reply) == {"seeds", "finish_reasons", "images"}
    assert reply["finish_reasons"] == [None] and len(reply["seeds"]) == 1
    assert reply["seeds"] == [0 if "fast-upscale" in model else 3]
    assert image.format == "PNG" and image.size == size


def test_the_control_outputs_keep_the_input_aspect_at_about_a_megapixel():
    assert size_like(sketch()) == (1152, 896)  # 4:3 in multiples of 64
    assert target_size(Image.new("RGB", (128, 64))) == (2896, 1448)  # about 4 megapixels, 2:1
    assert target_size(Image.new("RGB", (3000, 2000))) == (3000, 2000)  # already larger: kept


def test_seed_zero_picks_a_seed_and_says_which(runtime):
    reply, _ = invoke(runtime, "stability.stable-image-control-sketch-v1:0", {"prompt": "a boat", "image": SKETCH})
    assert reply["seeds"][0] > 0


def test_output_format_jpeg(runtime):
    _, (image,) = invoke(
        runtime, "stability.stable-fast-upscale-v1:0", {"image": png_b64(40, 40), "output_format": "jpeg"}
    )
    assert image.format == "JPEG" and image.size == (160, 160)


SKETCH_ID = "stability.stable-image-control-sketch-v1:0"
RULES = [
    (SKETCH_ID, {"image": SKETCH}, "required key [prompt] not found"),
    (SKETCH_ID, {"prompt": "a house"}, "required key [image] not found"),
    (SKETCH_ID, {"prompt": "a house", "image": SKETCH, "control_strength": 1.5}, "1.5 is not less or equal to 1"),
    (SKETCH_ID, {"prompt": "a house", "image": SKETCH, "strength": 0.5}, "extraneous key [strength]"),
    (SKETCH_ID, {"prompt": "a house", "image": png_b64(40, 40)}, "each side must be at least 64 pixels"),
    (SKETCH_ID, {"prompt": "a house", "image": png_b64(400, 100)}, "within 2.5 times"),
    ("stability.stable-image-control-structure-v1:0", {"prompt": "x", "image": SKETCH, "control_strength": -0.1},
     "-0.1 is not greater or equal to 0"),
    ("stability.stable-image-style-guide-v1:0", {"prompt": "a fox", "image": STYLE, "fidelity": 2},
     "2 is not less or equal to 1"),
    ("stability.stable-image-style-guide-v1:0", {"prompt": "a fox", "image": STYLE, "aspect_ratio": "4:3"},
     "4:3 is not a valid enum value (expected one of"),
    ("stability.stable-style-transfer-v1:0", {"init_image": SKETCH}, "required key [style_image] not found"),
    ("stability.stable-style-transfer-v1:0", {"init_image": SKETCH, "style_image": STYLE, "change_strength": 0.05},
     "0.05 is not greater or equal to 0.1"),
    ("stability.stable-fast-upscale-v1:0", {"image": png_b64(1100, 1000)}, "1,048,576"),
    ("stability.stable-fast-upscale-v1:0", {"image": png_b64(1600, 1000)}, "1536"),
    ("stability.stable-fast-upscale-v1:0", {"image": png_b64(30, 40)}, "32"),
    ("stability.stable-fast-upscale-v1:0", {"image": png_b64(64, 64), "prompt": "a dog"},
     "extraneous key [prompt] is not permitted (allowed keys: image, output_format)"),
    ("stability.stable-conservative-upscale-v1:0", {"prompt": "x", "image": png_b64(64, 64), "creativity": 0.1},
     "0.1 is not greater or equal to 0.2"),
    ("stability.stable-conservative-upscale-v1:0", {"image": png_b64(64, 64)}, "required key [prompt] not found"),
    ("stability.stable-creative-upscale-v1:0", {"prompt": "x", "image": png_b64(64, 64), "creativity": 0.6},
     "0.6 is not less or equal to 0.5"),
    ("stability.stable-creative-upscale-v1:0", {"prompt": "x", "image": png_b64(1100, 1000)}, "1,048,576"),
]  # fmt: skip


@pytest.mark.parametrize(("model", "body", "message"), RULES)
def test_each_rule_answers_a_validation_exception_saying_what_to_send(runtime, model, body, message):
    assert message in refused(runtime, model, body)
