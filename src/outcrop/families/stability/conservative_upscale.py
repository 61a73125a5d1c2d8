"""`stability.stable-conservative-upscale-v1:0`: `image` to about four megapixels, keeping its details; `prompt`
(required) guides what little is added, `creativity` 0.2-0.5 (default 0.35) says how much."""

from __future__ import annotations

from typing import Any

from outcrop.catalog.model import Family
from outcrop.families.base import Body
from outcrop.families.schema import check, number, obj
from outcrop.families.stability.common import IMAGE, NEGATIVE_PROMPT, OUTPUT_FORMAT, PROMPT, SEED
from outcrop.families.stability.service import wire
from outcrop.families.stability.upscale import CONSERVATIVE_IMAGE, diffusion_upscale
from outcrop.tasks import Task
from outcrop.tasks.upscale import UpscaleMode

DEFAULT_CREATIVITY = 0.35

SCHEMA: dict[str, Any] = obj(
    {
        "prompt": PROMPT,
        "image": IMAGE,
        "creativity": number(0.2, 0.5),
        "negative_prompt": NEGATIVE_PROMPT,
        "seed": SEED,
        "output_format": OUTPUT_FORMAT,
    },
    required=["prompt", "image"],
)


def parse(body: Body) -> Task:
    check(body, SCHEMA)
    return diffusion_upscale(body, CONSERVATIVE_IMAGE, UpscaleMode.CONSERVATIVE, DEFAULT_CREATIVITY)


FAMILY = wire(Family.STABILITY_CONSERVATIVE_UPSCALE, parse)
