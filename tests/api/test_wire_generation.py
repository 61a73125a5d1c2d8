"""Every image taskType through unmodified boto3 on the tiny profile (seeded tiny diffusers components: the
pixels are noise, the shapes, counts, masks and watermark are what is tested)."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from outcrop.safety import watermark
from support.images import box_mask_b64, png_b64

IMAGE = png_b64(384, 384, (120, 160, 200))
MASK = box_mask_b64(384, 384, (100, 100, 260, 260))


def invoke(runtime, model, body):
    reply = json.loads(runtime.invoke_model(modelId=model, body=json.dumps(body))["body"].read())
    assert reply["error"] is None
    return reply, [Image.open(io.BytesIO(base64.b64decode(b))) for b in reply["images"]]


@pytest.mark.parametrize(
    ("model", "body", "count", "size"),
    [
        ("amazon.titan-image-generator-v1",
         {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a lamp", "negativeText": "blur"},
          "imageGenerationConfig": {"numberOfImages": 2, "width": 384, "height": 576, "seed": 7, "cfgScale": 7.5}},
         2, (384, 576)),
        ("amazon.nova-canvas-v1:0",
         {"taskType": "IMAGE_VARIATION", "imageVariationParams": {"images": [IMAGE], "similarityStrength": 0.7},
          "imageGenerationConfig": {"width": 512, "height": 320}},
         1, (512, 320)),
        ("amazon.nova-canvas-v1:0",
         {"taskType": "INPAINTING", "inPaintingParams": {"image": IMAGE, "maskImage": MASK, "text": "a cat"}},
         1, (384, 384)),
        ("amazon.titan-image-generator-v2:0",
         {"taskType": "OUTPAINTING", "outPaintingParams": {"image": IMAGE, "maskImage": MASK, "text": "a beach",
                                                           "outPaintingMode": "PRECISE"}},
         1, (384, 384)),
        ("amazon.titan-image-generator-v2:0",
         {"taskType": "COLOR_GUIDED_GENERATION",
          "colorGuidedGenerationParams": {"text": "a vase", "colors": ["#FF0000", "#00FF00", "#0000FF"]},
          "imageGenerationConfig": {"width": 512, "height": 512}},
         1, (512, 512)),
    ],
    ids=["text-image", "variation", "inpainting", "outpainting-precise", "color-guided"],
)  # fmt: skip
def test_task_types(runtime, model, body, count, size):
    _, images = invoke(runtime, model, body)
    assert len(images) == count
    for image in images:
        assert image.format == "PNG"
        assert image.size == size
        assert watermark.detect(image).watermarked


def test_same_request_same_pixels(runtime):
    """Pixels are identical; the PNG files differ only in the signed provenance manifest's creation time."""
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a mug"},
            "imageGenerationConfig": {"width": 512, "height": 512, "seed": 3}}  # fmt: skip
    _, (first,) = invoke(runtime, "amazon.nova-canvas-v1:0", body)
    _, (second,) = invoke(runtime, "amazon.nova-canvas-v1:0", body)
    assert first.tobytes() == second.tobytes()


def test_precise_outpainting_keeps_the_masked_region(runtime):
    _, (image,) = invoke(runtime, "amazon.nova-canvas-v1:0",
                         {"taskType": "OUTPAINTING", "outPaintingParams": {"image": IMAGE, "maskImage": MASK,
                                                                          "text": "a beach", "outPaintingMode": "PRECISE"}})  # fmt: skip
    kept = np.asarray(image.convert("RGB"), dtype=int)[110:250, 110:250]
    # Only the invisible watermark touches kept pixels: a few levels at most.
    assert np.abs(kept - np.array([120, 160, 200])).mean() < 2


def test_mask_prompt_inpainting_returns_a_binary_mask_of_the_image_size(runtime):
    body = {"taskType": "INPAINTING",
            "inPaintingParams": {"image": IMAGE, "maskPrompt": "the sky", "text": "clouds", "returnMask": True}}  # fmt: skip
    reply, (image,) = invoke(runtime, "amazon.nova-canvas-v1:0", body)
    assert image.size == (384, 384)
    mask = Image.open(io.BytesIO(base64.b64decode(reply["maskImage"])))
    assert mask.size == (384, 384)
    values = np.asarray(mask.convert("L"))
    assert set(np.unique(values)) <= {0, 255} and (values == 0).any()


@pytest.mark.parametrize("mode", ["CANNY_EDGE", "SEGMENTATION"])
def test_conditioning_changes_the_output(runtime, mode):
    condition = Image.new("RGB", (384, 384), (20, 20, 20))
    condition.paste((230, 230, 230), (96, 96, 288, 288))
    buffer = io.BytesIO()
    condition.save(buffer, format="PNG")
    params = {"text": "a lamp"}
    config = {"width": 384, "height": 384, "seed": 5}
    _, (plain,) = invoke(runtime, "amazon.nova-canvas-v1:0",
                         {"taskType": "TEXT_IMAGE", "textToImageParams": params, "imageGenerationConfig": config})  # fmt: skip
    conditioned_params = {**params, "conditionImage": base64.b64encode(buffer.getvalue()).decode(),
                          "controlMode": mode, "controlStrength": 1.0}  # fmt: skip
    _, (steered,) = invoke(runtime, "amazon.nova-canvas-v1:0",
                           {"taskType": "TEXT_IMAGE", "textToImageParams": conditioned_params, "imageGenerationConfig": config})  # fmt: skip
    difference = np.abs(np.asarray(plain, dtype=int) - np.asarray(steered, dtype=int)).mean()
    assert difference > 1.0
