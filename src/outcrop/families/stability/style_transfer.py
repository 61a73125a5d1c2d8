"""`stability.stable-style-transfer-v1:0`: `init_image` redrawn in the style of `style_image`.

`style_strength` (0-1, default 1), `composition_fidelity` (0-1, default 0.9) and `change_strength` (0.1-1,
default 0.9); `prompt` is optional. The output keeps `init_image`'s aspect ratio at about one megapixel.
"""

from __future__ import annotations

from typing import Any

from outcrop.catalog.model import Family
from outcrop.families.base import Body
from outcrop.families.schema import check, number, obj
from outcrop.families.stability.common import (
    IMAGE,
    NEGATIVE_PROMPT,
    OPTIONAL_PROMPT,
    OUTPUT_FORMAT,
    SEED,
    input_image,
)
from outcrop.families.stability.service import guided_config, size_like, text, wire
from outcrop.tasks import StyleTransferTask, Task

DEFAULTS = {"style_strength": 1.0, "composition_fidelity": 0.9, "change_strength": 0.9}

SCHEMA: dict[str, Any] = obj(
    {
        "init_image": IMAGE,
        "style_image": IMAGE,
        "prompt": OPTIONAL_PROMPT,
        "negative_prompt": NEGATIVE_PROMPT,
        "seed": SEED,
        "output_format": OUTPUT_FORMAT,
        "style_strength": number(0, 1),
        "composition_fidelity": number(0, 1),
        "change_strength": number(0.1, 1),
    },
    required=["init_image", "style_image"],
)


def parse(body: Body) -> Task:
    check(body, SCHEMA)
    init_image = input_image(body, "init_image")
    width, height = size_like(init_image)
    return StyleTransferTask(
        init_image=init_image,
        style_image=input_image(body, "style_image"),
        prompt=text(body, "prompt"),
        negative_prompt=text(body, "negative_prompt"),
        style_strength=_number(body, "style_strength"),
        composition_fidelity=_number(body, "composition_fidelity"),
        change_strength=_number(body, "change_strength"),
        config=guided_config(body, width, height),
    )


def _number(body: Body, key: str) -> float:
    return float(body.get(key, DEFAULTS[key]))


FAMILY = wire(Family.STABILITY_STYLE_TRANSFER, parse)
