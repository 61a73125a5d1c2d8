"""`stability.stable-creative-upscale-v1:0`: a small or degraded `image` (up to one megapixel) to about four
megapixels, re-imagining detail from `prompt`; `creativity` 0.1-0.5 (default 0.3) says how much."""

from __future__ import annotations

from typing import Any

from outcrop.catalog.model import Family
from outcrop.families.base import Body
from outcrop.families.schema import check, number, obj
from outcrop.families.stability.common import (
    IMAGE,
    NEGATIVE_PROMPT,
    OUTPUT_FORMAT,
    PROMPT,
    SEED,
    STYLE_PRESET,
)
from outcrop.families.stability.service import wire
from outcrop.families.stability.upscale import CREATIVE_IMAGE, diffusion_upscale
from outcrop.tasks import Task
from outcrop.tasks.upscale import UpscaleMode

DEFAULT_CREATIVITY = 0.3

SCHEMA: dict[str, Any] = obj(
    {
        "prompt": PROMPT,
        "image": IMAGE,
        "creativity": number(0.1, 0.5),
        "negative_prompt": NEGATIVE_PROMPT,
        "seed": SEED,
        "output_format": OUTPUT_FORMAT,
        "style_preset": STYLE_PRESET,
    },
    required=["prompt", "image"],
)


def parse(body: Body) -> Task:
    check(body, SCHEMA)
    return diffusion_upscale(body, CREATIVE_IMAGE, UpscaleMode.CREATIVE, DEFAULT_CREATIVITY)


FAMILY = wire(Family.STABILITY_CREATIVE_UPSCALE, parse)
