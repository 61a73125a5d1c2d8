"""Stable Image Control Sketch and Control Structure: one body (`prompt`, `image`, `control_strength`, ...), told
apart by what the image is. Sketch turns a drawing's lines into a picture; Structure keeps an image's structure
(its edges) under a new prompt. The output keeps the control image's aspect ratio at about one megapixel."""

from __future__ import annotations

from typing import Any

from outcrop.families.base import Body
from outcrop.families.schema import check, number, obj
from outcrop.families.stability.common import (
    IMAGE,
    NEGATIVE_PROMPT,
    OUTPUT_FORMAT,
    PROMPT,
    SEED,
    STYLE_PRESET,
    input_image,
)
from outcrop.families.stability.service import guided_config, size_like, text
from outcrop.tasks import ControlImageTask
from outcrop.tasks.control_image import ControlKind

DEFAULT_CONTROL_STRENGTH = 0.7

SCHEMA: dict[str, Any] = obj(
    {
        "prompt": PROMPT,
        "image": IMAGE,
        "control_strength": number(0, 1),
        "negative_prompt": NEGATIVE_PROMPT,
        "seed": SEED,
        "output_format": OUTPUT_FORMAT,
        "style_preset": STYLE_PRESET,
    },
    required=["prompt", "image"],
)


def parse(body: Body, control: ControlKind) -> ControlImageTask:
    check(body, SCHEMA)
    image = input_image(body, "image")
    width, height = size_like(image)
    return ControlImageTask(
        prompt=str(body["prompt"]),
        image=image,
        control=control,
        strength=float(body.get("control_strength", DEFAULT_CONTROL_STRENGTH)),
        negative_prompt=text(body, "negative_prompt"),
        style_preset=text(body, "style_preset"),
        config=guided_config(body, width, height),
    )
