"""JSON schemas of the image-generation bodies, built per family from its limits."""

from __future__ import annotations

from typing import Any

from outcrop.families.amazon_image.limits import ImageFamily
from outcrop.families.schema import array, enum, integer, number, obj, string
from outcrop.tasks.text_to_image import ControlMode, Style

PARAMS_KEY = {
    "TEXT_IMAGE": "textToImageParams",
    "INPAINTING": "inPaintingParams",
    "OUTPAINTING": "outPaintingParams",
    "IMAGE_VARIATION": "imageVariationParams",
    "COLOR_GUIDED_GENERATION": "colorGuidedGenerationParams",
    "BACKGROUND_REMOVAL": "backgroundRemovalParams",
    "VIRTUAL_TRY_ON": "virtualTryOnParams",
}
HEX_COLOR = "^#[0-9A-Fa-f]{6}$"
_IMAGE = string(min_length=1)


def envelope_schema(family: ImageFamily) -> dict[str, Any]:
    """First pass: a known taskType, before the task's own schema is chosen."""
    return {"type": "object", "required": ["taskType"], "properties": {"taskType": enum(*family.task_types)}}


def task_schema(family: ImageFamily, task_type: str) -> dict[str, Any]:
    key = PARAMS_KEY[task_type]
    properties: dict[str, Any] = {"taskType": enum(task_type), key: _PARAMS[task_type](family)}
    if task_type != "BACKGROUND_REMOVAL":
        properties["imageGenerationConfig"] = config_schema(family)
    return obj(properties, required=["taskType", key])


def config_schema(family: ImageFamily) -> dict[str, Any]:
    side: dict[str, Any] = {"type": "integer"}
    if family.nova_sizes:
        side = {**integer(320, 4096), "multipleOf": 16}
    return obj(
        {
            "numberOfImages": integer(1, 5),
            "quality": enum("standard", "premium"),
            "cfgScale": number(1.1, 10.0),
            "seed": integer(0, family.seed_max),
            "width": side,
            "height": side,
        }
    )


def _text(family: ImageFamily) -> dict[str, Any]:
    return string(1, family.text_max)


def _text_to_image(family: ImageFamily) -> dict[str, Any]:
    properties: dict[str, Any] = {"text": _text(family), "negativeText": _text(family)}
    if family.conditioning:
        properties |= {
            "conditionImage": _IMAGE,
            "controlMode": enum(*ControlMode),
            "controlStrength": number(0.0, 1.0),
        }
    if family.styles:
        properties["style"] = enum(*Style)
    return obj(properties, required=["text"])


def _masked(family: ImageFamily, *, outpaint: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "image": _IMAGE,
        "maskPrompt": _text(family),
        "maskImage": _IMAGE,
        "text": _text(family),
        "negativeText": _text(family),
        "returnMask": {"type": "boolean"},
    }
    if outpaint:
        properties["outPaintingMode"] = enum("DEFAULT", "PRECISE")
    return obj(properties, required=["image", "text"] if outpaint else ["image"])


def _variation(family: ImageFamily) -> dict[str, Any]:
    return obj(
        {
            "images": array(_IMAGE, 1, 5),
            "text": _text(family),
            "negativeText": _text(family),
            "similarityStrength": number(0.2, 1.0),
        },
        required=["images"],
    )


def _color_guided(family: ImageFamily) -> dict[str, Any]:
    return obj(
        {
            "text": _text(family),
            "colors": array(string(pattern=HEX_COLOR), 1, 10),
            "negativeText": _text(family),
            "referenceImage": _IMAGE,
        },
        required=["text", "colors"],
    )


def _background_removal(family: ImageFamily) -> dict[str, Any]:
    return obj({"image": _IMAGE}, required=["image"])


def _virtual_try_on(family: ImageFamily) -> dict[str, Any]:
    shape = enum("CONTOUR", "BOUNDING_BOX", "DEFAULT")
    garment = enum(
        "UPPER_BODY", "LOWER_BODY", "FULL_BODY", "FOOTWEAR", "LONG_SLEEVE_SHIRT", "SHORT_SLEEVE_SHIRT",
        "NO_SLEEVE_SHIRT", "OTHER_UPPER_BODY", "LONG_PANTS", "SHORT_PANTS", "OTHER_LOWER_BODY",
        "LONG_DRESS", "SHORT_DRESS", "FULL_BODY_OUTFIT", "OTHER_FULL_BODY", "SHOES", "BOOTS", "OTHER_FOOTWEAR",
    )  # fmt: skip
    switch = enum("ON", "OFF", "DEFAULT")
    return obj(
        {
            "sourceImage": _IMAGE,
            "referenceImage": _IMAGE,
            "maskType": enum("IMAGE", "GARMENT", "PROMPT"),
            "imageBasedMask": obj({"maskImage": _IMAGE}, required=["maskImage"]),
            "garmentBasedMask": obj({"garmentClass": garment, "maskShape": shape}),
            "promptBasedMask": obj({"maskPrompt": _text(family), "maskShape": shape}, required=["maskPrompt"]),
            "maskExclusions": obj({"preserveBodyPose": switch, "preserveHands": switch, "preserveFace": switch}),
            "mergeStyle": enum("BALANCED", "SEAMLESS", "DETAILED"),
            "returnMask": {"type": "boolean"},
        },
        required=["sourceImage", "referenceImage", "maskType"],
    )


_PARAMS = {
    "TEXT_IMAGE": _text_to_image,
    "INPAINTING": lambda f: _masked(f, outpaint=False),
    "OUTPAINTING": lambda f: _masked(f, outpaint=True),
    "IMAGE_VARIATION": _variation,
    "COLOR_GUIDED_GENERATION": _color_guided,
    "BACKGROUND_REMOVAL": _background_removal,
    "VIRTUAL_TRY_ON": _virtual_try_on,
}
