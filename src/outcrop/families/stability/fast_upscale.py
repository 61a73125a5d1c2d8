"""`stability.stable-fast-upscale-v1:0`: 4x super-resolution of `image`; no prompt, no seed (`seeds` reports 0:
the result is the same for every call)."""

from __future__ import annotations

from typing import Any

from outcrop.catalog.model import Family
from outcrop.families.base import Body
from outcrop.families.schema import check, obj
from outcrop.families.stability.common import IMAGE, OUTPUT_FORMAT
from outcrop.families.stability.service import wire
from outcrop.families.stability.upscale import FAST_SCALE, fast_image
from outcrop.tasks import Task, UpscaleTask
from outcrop.tasks.upscale import UpscaleMode

SCHEMA: dict[str, Any] = obj({"image": IMAGE, "output_format": OUTPUT_FORMAT}, required=["image"])


def parse(body: Body) -> Task:
    check(body, SCHEMA)
    image = fast_image(body)
    width, height = image.size
    return UpscaleTask(image=image, mode=UpscaleMode.FAST, width=FAST_SCALE * width, height=FAST_SCALE * height)


FAMILY = wire(Family.STABILITY_FAST_UPSCALE, parse)
