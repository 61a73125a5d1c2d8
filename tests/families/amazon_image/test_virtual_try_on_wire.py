"""Nova Canvas VIRTUAL_TRY_ON through a real boto3 client on a tiny-profile server: each maskType returns an image
of the source's size, returnMask returns the mask, BALANCED keeps the unmasked pixels, bad input is refused."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from support.images import box_mask_b64, png_b64

MODEL = "amazon.nova-canvas-v1:0"
SOURCE = png_b64(384, 320, (120, 160, 200))
REFERENCE = png_b64(320, 320, (200, 40, 40))
BOX = (100, 80, 260, 240)


def try_on(params: dict, config: dict | None = None) -> dict:
    body = {"taskType": "VIRTUAL_TRY_ON",
            "virtualTryOnParams": {"sourceImage": SOURCE, "referenceImage": REFERENCE, **params}}  # fmt: skip
    if config:
        body["imageGenerationConfig"] = config
    return body


def invoke(runtime, body: dict) -> tuple[dict, list[Image.Image]]:
    reply = json.loads(runtime.invoke_model(modelId=MODEL, body=json.dumps(body))["body"].read())
    return reply, [Image.open(io.BytesIO(base64.b64decode(data))) for data in reply["images"]]


@pytest.mark.parametrize(
    "params",
    [
        {"maskType": "GARMENT", "garmentBasedMask": {"garmentClass": "UPPER_BODY"}},
        {"maskType": "GARMENT", "garmentBasedMask": {"garmentClass": "FULL_BODY", "maskShape": "BOUNDING_BOX"},
         "mergeStyle": "SEAMLESS", "maskExclusions": {"preserveFace": "OFF"}},
        {"maskType": "PROMPT", "promptBasedMask": {"maskPrompt": "the shirt", "maskShape": "CONTOUR"}},
        {"maskType": "IMAGE", "imageBasedMask": {"maskImage": box_mask_b64(384, 320, BOX)}, "mergeStyle": "DETAILED"},
    ],
    ids=["garment", "garment-box-seamless", "prompt", "image-detailed"],
)  # fmt: skip
def test_each_mask_type_returns_an_image_of_the_source_size(runtime, params):
    reply, images = invoke(runtime, try_on(params))
    assert reply["error"] is None and "maskImage" not in reply
    assert [image.size for image in images] == [(384, 320)]


def test_number_of_images(runtime):
    params = {"maskType": "GARMENT", "garmentBasedMask": {"garmentClass": "LOWER_BODY"}}
    _, images = invoke(runtime, try_on(params, {"numberOfImages": 2, "seed": 9}))
    assert len(images) == 2 and images[0].tobytes() != images[1].tobytes()


@pytest.mark.parametrize(
    "params",
    [
        {"maskType": "IMAGE", "imageBasedMask": {"maskImage": box_mask_b64(384, 320, BOX)}},
        {"maskType": "GARMENT", "garmentBasedMask": {"garmentClass": "FOOTWEAR"}},
    ],
    ids=["image", "garment"],
)
def test_return_mask_gives_the_binary_mask_of_the_source_size(runtime, params):
    reply, _ = invoke(runtime, try_on({**params, "returnMask": True}))
    mask = np.asarray(Image.open(io.BytesIO(base64.b64decode(reply["maskImage"]))).convert("L"))
    assert mask.shape == (320, 384)
    assert set(np.unique(mask)) <= {0, 255} and (mask == 0).any()
    if params["maskType"] == "IMAGE":
        assert (mask == 0).sum() == (BOX[2] - BOX[0]) * (BOX[3] - BOX[1])


def test_balanced_merge_keeps_every_pixel_outside_the_mask(runtime):
    params = {"maskType": "IMAGE", "imageBasedMask": {"maskImage": box_mask_b64(384, 320, BOX)},
              "mergeStyle": "BALANCED"}  # fmt: skip
    _, (image,) = invoke(runtime, try_on(params))
    pixels = np.asarray(image.convert("RGB"), dtype=int)
    outside = np.ones(pixels.shape[:2], dtype=bool)
    outside[BOX[1] : BOX[3], BOX[0] : BOX[2]] = False
    # Only the invisible watermark touches kept pixels: a few levels at most.
    assert np.abs(pixels[outside] - np.array([120, 160, 200])).mean() < 2


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"maskType": "GARMENT", "garmentBasedMask": {"garmentClass": "HAT"}}, "not a valid enum value"),
        ({"maskType": "GARMENT", "garmentBasedMask": {}}, "garmentClass is required"),
        ({"maskType": "GARMENT"}, "needs virtualTryOnParams.garmentBasedMask"),
        ({"maskType": "PROMPT", "promptBasedMask": {"maskPrompt": "shirt", "maskShape": "OVAL"}},
         "not a valid enum value"),
        ({"maskType": "IMAGE", "imageBasedMask": {"maskImage": box_mask_b64(320, 320, BOX)}},
         "send a mask the same size as the image"),
        ({"maskType": "GARMENT", "garmentBasedMask": {"garmentClass": "UPPER_BODY"}, "mergeStyle": "SMOOTH"},
         "not a valid enum value"),
    ],
    ids=["bad-garment-class", "no-garment-class", "no-garment-mask", "bad-shape", "mask-size", "bad-merge"],
)  # fmt: skip
def test_rules(runtime, params, says):
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId=MODEL, body=json.dumps(try_on(params)))
    assert says in str(caught.value)


def test_a_missing_reference_image_is_refused(runtime):
    body = try_on({"maskType": "GARMENT", "garmentBasedMask": {"garmentClass": "UPPER_BODY"}})
    del body["virtualTryOnParams"]["referenceImage"]
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId=MODEL, body=json.dumps(body))
    assert "referenceImage" in str(caught.value)
