"""`stability.stable-conservative-upscale-v1:0`: `image` to about four megapixels, keeping its details; `prompt`
(required) guides what little is added, `creativity` 0.2-0.5 (default 0.35) says how much."""

from __future__ import annotations

from typing import Any

from outcrop.catalog.model import Family
from outcrop.families.base import Body
from outcrop.families.schema import check, number, obj
from outcrop.families.stability.common import IMAGE, NEGATIVE_PROMPT, OUTPUT_FORMAT, PROMPT, SEED, seed_of
from outcrop.families.stability.service import text, wire
from outcrop.families.stability.upscale import CONSERVATIVE_IMAGE, diffusion_image, target_size
from outcrop.tasks import Task, UpscaleTask
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
    image = diffusion_image(body, CONSERVATIVE_IMAGE)
    width, height = target_size(image)
    return UpscaleTask(
        image=image,
        mode=UpscaleMode.CONSERVATIVE,
        width=width,
        height=height,
        prompt=str(body["prompt"]),
        negative_prompt=text(body, "negative_prompt"),
        creativity=float(body.get("creativity", DEFAULT_CREATIVITY)),
        seed=seed_of(body),
    )


FAMILY = wire(Family.STABILITY_CONSERVATIVE_UPSCALE, parse)
