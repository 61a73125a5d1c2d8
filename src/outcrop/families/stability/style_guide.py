"""`stability.stable-image-style-guide-v1:0`: a prompt and a style reference `image` -> a new image in that style,
`fidelity` (0-1, default 0.5) saying how closely; the output is about one megapixel in `aspect_ratio` (default
1:1)."""

from __future__ import annotations

from typing import Any

from outcrop.catalog.model import Family
from outcrop.families.base import Body
from outcrop.families.schema import check, number, obj
from outcrop.families.stability.common import (
    ASPECT_RATIO,
    IMAGE,
    NEGATIVE_PROMPT,
    OUTPUT_FORMAT,
    PROMPT,
    SEED,
    STYLE_PRESET,
    input_image,
    size_for,
)
from outcrop.families.stability.service import MEGAPIXEL, MULTIPLE, guided_config, text, wire
from outcrop.tasks import StyleGuideTask, Task

DEFAULT_FIDELITY = 0.5

SCHEMA: dict[str, Any] = obj(
    {
        "prompt": PROMPT,
        "image": IMAGE,
        "aspect_ratio": ASPECT_RATIO,
        "fidelity": number(0, 1),
        "negative_prompt": NEGATIVE_PROMPT,
        "seed": SEED,
        "output_format": OUTPUT_FORMAT,
        "style_preset": STYLE_PRESET,
    },
    required=["prompt", "image"],
)


def parse(body: Body) -> Task:
    check(body, SCHEMA)
    width, height = size_for(str(body.get("aspect_ratio", "1:1")), MEGAPIXEL, MULTIPLE)
    return StyleGuideTask(
        prompt=str(body["prompt"]),
        image=input_image(body, "image"),
        fidelity=float(body.get("fidelity", DEFAULT_FIDELITY)),
        negative_prompt=text(body, "negative_prompt"),
        style_preset=text(body, "style_preset"),
        config=guided_config(body, width, height),
    )


FAMILY = wire(Family.STABILITY_STYLE_GUIDE, parse)
