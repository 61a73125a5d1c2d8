"""Invalid requests through a real boto3 client: each gets the right exception class and a message that says
what to send instead. One row per distinct rule of the spec's validation checklist (section 5)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from support.images import box_mask_b64, jpeg_b64, png_b64

CANVAS, TITAN1, TITAN2 = (
    "amazon.nova-canvas-v1:0",
    "amazon.titan-image-generator-v1",
    "amazon.titan-image-generator-v2:0",
)
EMBED, NOVA_EMBED, LITE = (
    "amazon.titan-embed-image-v1",
    "amazon.nova-2-multimodal-embeddings-v1:0",
    "amazon.nova-lite-v1:0",
)
IMG = png_b64(512, 512)
SMALL = png_b64(200, 200)
MASK = box_mask_b64(512, 512, (10, 10, 100, 100))
GREY_MASK = png_b64(512, 512, (128, 128, 128))
ODD_MASK = box_mask_b64(256, 256, (10, 10, 100, 100))
HUGE_TITAN = png_b64(1500, 1000)
GIF = "R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="


def t2i(params: dict[str, Any] | None = None, config: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a mug", **(params or {})}}
    if config is not None:
        body["imageGenerationConfig"] = config
    return body


def inpaint(**params: Any) -> dict[str, Any]:
    return {"taskType": "INPAINTING", "inPaintingParams": {"image": IMG, **params}}


def outpaint(**params: Any) -> dict[str, Any]:
    return {"taskType": "OUTPAINTING", "outPaintingParams": {"image": IMG, "text": "a beach", **params}}


def variation(**params: Any) -> dict[str, Any]:
    return {"taskType": "IMAGE_VARIATION", "imageVariationParams": {"images": [IMG], **params}}


def colors(**params: Any) -> dict[str, Any]:
    return {
        "taskType": "COLOR_GUIDED_GENERATION",
        "colorGuidedGenerationParams": {"text": "a vase", "colors": ["#FF0000"], **params},
    }


def nova_embed(**params: Any) -> dict[str, Any]:
    base = {"embeddingPurpose": "GENERIC_INDEX", "text": {"truncationMode": "END", "value": "shoe"}}
    return {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {**base, **params}}


V = "ValidationException"
CASES: list[tuple[str, str, Any, str, str]] = [
    # (id, model, body, error code, message fragment)
    ("body-not-object", CANVAS, [1, 2], V, "expected type: JSONObject"),
    ("missing-taskType", CANVAS, {"textToImageParams": {"text": "x"}}, V, "required key [taskType] not found"),
    (
        "unknown-taskType",
        CANVAS,
        {"taskType": "SKETCH"},
        V,
        "SKETCH is not a valid enum value (expected one of: TEXT_IMAGE",
    ),
    ("color-guided-on-titan-v1", TITAN1, colors(), V, "COLOR_GUIDED_GENERATION is not a valid enum value"),
    (
        "bg-removal-on-titan-v1",
        TITAN1,
        {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": IMG}},
        V,
        "BACKGROUND_REMOVAL is not a valid enum value",
    ),
    ("try-on-on-titan-v2", TITAN2, {"taskType": "VIRTUAL_TRY_ON"}, V, "VIRTUAL_TRY_ON is not a valid enum value"),
    ("missing-params", CANVAS, {"taskType": "TEXT_IMAGE"}, V, "required key [textToImageParams] not found"),
    (
        "wrong-params-key",
        CANVAS,
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}, "inPaintingParams": {}},
        V,
        "extraneous key [inPaintingParams]",
    ),
    ("extraneous-top-key", CANVAS, {**t2i(), "foo": 1}, V, "extraneous key [foo] is not permitted"),
    ("extraneous-param-key", CANVAS, t2i({"prompt": "x"}), V, "#/textToImageParams: extraneous key [prompt]"),
    ("missing-text", CANVAS, {"taskType": "TEXT_IMAGE", "textToImageParams": {}}, V, "required key [text] not found"),
    (
        "text-wrong-type",
        CANVAS,
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": 5}},
        V,
        "expected type: String, found: Integer",
    ),
    ("empty-text", CANVAS, t2i({"text": ""}), V, "expected minLength: 1, actual: 0"),
    ("nova-text-too-long", CANVAS, t2i({"text": "x" * 1025}), V, "expected maxLength: 1024, actual: 1025"),
    ("titan-text-too-long", TITAN2, t2i({"text": "x" * 513}), V, "expected maxLength: 512, actual: 513"),
    (
        "negative-too-long",
        CANVAS,
        t2i({"negativeText": "x" * 1100}),
        V,
        "#/textToImageParams/negativeText: expected maxLength: 1024",
    ),
    (
        "bad-style",
        CANVAS,
        t2i({"style": "ANIME"}),
        V,
        "ANIME is not a valid enum value (expected one of: 3D_ANIMATED_FAMILY_FILM",
    ),
    ("style-on-titan", TITAN2, t2i({"style": "PHOTOREALISM"}), V, "extraneous key [style]"),
    ("condition-on-titan-v1", TITAN1, t2i({"conditionImage": IMG}), V, "extraneous key [conditionImage]"),
    ("control-mode-without-image", CANVAS, t2i({"controlMode": "CANNY_EDGE"}), V, "apply only with a conditionImage"),
    ("control-strength-without-image", TITAN2, t2i({"controlStrength": 0.5}), V, "apply only with a conditionImage"),
    (
        "bad-control-mode",
        CANVAS,
        t2i({"conditionImage": IMG, "controlMode": "DEPTH"}),
        V,
        "DEPTH is not a valid enum value (expected one of: CANNY_EDGE, SEGMENTATION)",
    ),
    (
        "control-strength-high",
        CANVAS,
        t2i({"conditionImage": IMG, "controlStrength": 1.5}),
        V,
        "1.5 is not less or equal to 1.0",
    ),
    (
        "control-strength-negative",
        CANVAS,
        t2i({"conditionImage": IMG, "controlStrength": -0.1}),
        V,
        "-0.1 is not greater or equal to 0.0",
    ),
    (
        "number-of-images-zero",
        CANVAS,
        t2i(config={"numberOfImages": 0}),
        V,
        "#/imageGenerationConfig/numberOfImages: 0 is not greater or equal to 1",
    ),
    ("number-of-images-six", TITAN1, t2i(config={"numberOfImages": 6}), V, "6 is not less or equal to 5"),
    (
        "number-of-images-string",
        CANVAS,
        t2i(config={"numberOfImages": "2"}),
        V,
        "expected type: Integer, found: String",
    ),
    ("cfg-too-low", CANVAS, t2i(config={"cfgScale": 1.0}), V, "1.0 is not greater or equal to 1.1"),
    ("cfg-too-high", TITAN2, t2i(config={"cfgScale": 10.5}), V, "10.5 is not less or equal to 10.0"),
    ("nova-seed-too-high", CANVAS, t2i(config={"seed": 858_993_460}), V, "858993460 is not less or equal to 858993459"),
    (
        "titan-seed-too-high",
        TITAN1,
        t2i(config={"seed": 2_147_483_647}),
        V,
        "2147483647 is not less or equal to 2147483646",
    ),
    ("seed-negative", TITAN2, t2i(config={"seed": -1}), V, "-1 is not greater or equal to 0"),
    ("seed-float", CANVAS, t2i(config={"seed": 1.5}), V, "expected type: Integer, found: Number"),
    (
        "bad-quality",
        CANVAS,
        t2i(config={"quality": "ultra"}),
        V,
        "ultra is not a valid enum value (expected one of: standard, premium)",
    ),
    ("extraneous-config-key", CANVAS, t2i(config={"steps": 30}), V, "#/imageGenerationConfig: extraneous key [steps]"),
    ("titan-size-not-listed", TITAN2, t2i(config={"width": 1000, "height": 1000}), V, "send one of: 320x704"),
    ("titan-only-width", TITAN1, t2i(config={"width": 512}), V, "512x1024 is not supported"),
    ("nova-width-not-16", CANVAS, t2i(config={"width": 1000, "height": 1024}), V, "1000 is not a multiple of 16"),
    (
        "nova-width-too-small",
        CANVAS,
        t2i(config={"width": 304, "height": 1024}),
        V,
        "304 is not greater or equal to 320",
    ),
    (
        "nova-height-too-big",
        CANVAS,
        t2i(config={"width": 1024, "height": 4112}),
        V,
        "4112 is not less or equal to 4096",
    ),
    ("nova-aspect-ratio", CANVAS, t2i(config={"width": 4096, "height": 512}), V, "ratio lies between 1:4 and 4:1"),
    ("nova-too-many-pixels", CANVAS, t2i(config={"width": 4096, "height": 2048}), V, "send at most 4,194,304 pixels"),
    ("image-not-base64", CANVAS, inpaint(image="%%%not-base64%%%", maskPrompt="cat"), V, "is not valid base64"),
    (
        "image-data-uri",
        CANVAS,
        inpaint(image="data:image/png;base64," + IMG, maskPrompt="cat"),
        V,
        "remove the 'data:...;base64,' prefix",
    ),
    ("image-not-an-image", CANVAS, inpaint(image="aGVsbG8gd29ybGQ=", maskPrompt="cat"), V, "is not a readable image"),
    ("image-gif", CANVAS, inpaint(image=GIF, maskPrompt="cat"), V, "is GIF; send JPEG or PNG"),
    (
        "nova-image-too-small",
        CANVAS,
        inpaint(image=SMALL, maskPrompt="cat"),
        V,
        "each side must be at least 320 pixels",
    ),
    (
        "titan-image-too-large",
        TITAN2,
        {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": HUGE_TITAN}},
        V,
        "the longer side must be at most 1408 pixels",
    ),
    ("inpaint-no-mask", CANVAS, inpaint(), V, "needs exactly one of maskPrompt or maskImage"),
    (
        "inpaint-both-masks",
        CANVAS,
        inpaint(maskPrompt="cat", maskImage=MASK),
        V,
        "needs exactly one of maskPrompt or maskImage",
    ),
    ("mask-not-black-white", CANVAS, inpaint(maskImage=GREY_MASK), V, "neither pure black (0,0,0) nor pure white"),
    ("mask-wrong-size", TITAN1, inpaint(maskImage=ODD_MASK), V, "send a mask the same size as the image"),
    (
        "inpaint-missing-image",
        CANVAS,
        {"taskType": "INPAINTING", "inPaintingParams": {"maskPrompt": "cat"}},
        V,
        "required key [image] not found",
    ),
    (
        "return-mask-not-bool",
        CANVAS,
        inpaint(maskPrompt="cat", returnMask="yes"),
        V,
        "expected type: Boolean, found: String",
    ),
    (
        "outpaint-missing-text",
        CANVAS,
        {"taskType": "OUTPAINTING", "outPaintingParams": {"image": IMG, "maskPrompt": "cat"}},
        V,
        "required key [text] not found",
    ),
    (
        "outpaint-bad-mode",
        TITAN2,
        outpaint(maskPrompt="cat", outPaintingMode="EXACT"),
        V,
        "EXACT is not a valid enum value (expected one of: DEFAULT, PRECISE)",
    ),
    ("variation-no-images", CANVAS, variation(images=[]), V, "expected minimum item count: 1, found: 0"),
    ("variation-six-images", CANVAS, variation(images=[IMG] * 6), V, "expected maximum item count: 5, found: 6"),
    ("similarity-too-low", CANVAS, variation(similarityStrength=0.1), V, "0.1 is not greater or equal to 0.2"),
    ("similarity-too-high", TITAN2, variation(similarityStrength=1.2), V, "1.2 is not less or equal to 1.0"),
    ("colors-empty", CANVAS, colors(colors=[]), V, "expected minimum item count: 1"),
    ("colors-eleven", CANVAS, colors(colors=["#000000"] * 11), V, "expected maximum item count: 10, found: 11"),
    ("color-bad-hex", TITAN2, colors(colors=["#12"]), V, "string [#12] does not match pattern ^#[0-9A-Fa-f]{6}$"),
    ("color-named", CANVAS, colors(colors=["red"]), V, "string [red] does not match pattern"),
    (
        "colors-missing-text",
        CANVAS,
        {"taskType": "COLOR_GUIDED_GENERATION", "colorGuidedGenerationParams": {"colors": ["#000000"]}},
        V,
        "required key [text] not found",
    ),
    (
        "bg-removal-with-config",
        CANVAS,
        {
            "taskType": "BACKGROUND_REMOVAL",
            "backgroundRemovalParams": {"image": IMG},
            "imageGenerationConfig": {"seed": 1},
        },
        V,
        "extraneous key [imageGenerationConfig]",
    ),
    (
        "bg-removal-missing-image",
        TITAN2,
        {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {}},
        V,
        "required key [image] not found",
    ),
    (
        "try-on-missing-mask-member",
        CANVAS,
        {
            "taskType": "VIRTUAL_TRY_ON",
            "virtualTryOnParams": {"sourceImage": IMG, "referenceImage": IMG, "maskType": "PROMPT"},
        },
        V,
        "needs virtualTryOnParams.promptBasedMask",
    ),
    (
        "embed-no-input",
        EMBED,
        {"embeddingConfig": {"outputEmbeddingLength": 1024}},
        V,
        "required key [inputText] or [inputImage] not found",
    ),
    (
        "embed-bad-length",
        EMBED,
        {"inputText": "x", "embeddingConfig": {"outputEmbeddingLength": 512}},
        V,
        "512 is not a valid enum value (expected one of: 256, 384, 1024)",
    ),
    ("embed-extraneous", EMBED, {"inputText": "x", "normalize": True}, V, "extraneous key [normalize]"),
    ("embed-image-jpeg-bad", EMBED, {"inputImage": jpeg_b64(10, 10)[:40]}, V, "inputImage"),
    (
        "nova-embed-bad-purpose",
        NOVA_EMBED,
        nova_embed(embeddingPurpose="SEARCH"),
        V,
        "SEARCH is not a valid enum value",
    ),
    (
        "nova-embed-bad-dimension",
        NOVA_EMBED,
        nova_embed(embeddingDimension=512),
        V,
        "expected one of: 256, 384, 1024, 3072",
    ),
    (
        "nova-embed-two-inputs",
        NOVA_EMBED,
        nova_embed(image={"format": "png", "source": {"bytes": IMG}}),
        V,
        "exactly one of text, image, video or audio",
    ),
    (
        "nova-embed-bad-truncation",
        NOVA_EMBED,
        nova_embed(text={"truncationMode": "MIDDLE", "value": "x"}),
        V,
        "MIDDLE is not a valid enum value",
    ),
    (
        "nova-embed-bad-task",
        NOVA_EMBED,
        {"taskType": "SEGMENTED_EMBEDDING", "singleEmbeddingParams": {}},
        V,
        "SEGMENTED_EMBEDDING is not a valid enum value",
    ),
    (
        "native-text-bad-role",
        LITE,
        {"messages": [{"role": "system", "content": [{"text": "x"}]}]},
        V,
        "system is not a valid enum value (expected one of: user, assistant)",
    ),
    ("native-text-no-messages", LITE, {"schemaVersion": "messages-v1"}, V, "required key [messages] not found"),
    (
        "native-text-bad-temperature",
        LITE,
        {"messages": [{"role": "user", "content": [{"text": "x"}]}], "inferenceConfig": {"temperature": 2}},
        V,
        "2 is not less or equal to 1",
    ),
]


def test_there_are_at_least_sixty_distinct_cases():
    assert len({case[0] for case in CASES}) == len(CASES) >= 60


@pytest.mark.parametrize(("case", "model", "body", "code", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_invalid_request(runtime, case, model, body, code, fragment):
    with pytest.raises(runtime.exceptions.ClientError) as caught:
        runtime.invoke_model(
            modelId=model, body=json.dumps(body), contentType="application/json", accept="application/json"
        )
    error = caught.value.response["Error"]
    assert error["Code"] == code, error
    assert fragment in error["Message"], error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
