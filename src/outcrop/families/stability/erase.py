"""Stable Image Erase Object (`stability.stable-image-erase-object-v1:0`): remove what a mask (or the image's
alpha channel) covers and fill it with the surrounding background; no prompt."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, WireFamily
from outcrop.families.schema import check, obj
from outcrop.families.stability import common
from outcrop.tasks import EraseTask, Task

SCHEMA = obj(
    {
        "image": common.IMAGE,
        "mask": common.IMAGE,
        "seed": common.SEED,
        "output_format": common.OUTPUT_FORMAT,
        "grow_mask": common.GROW_MASK,
    },
    required=("image",),
)


def parse(entry: ModelEntry, body: Body) -> Task:
    check(body, SCHEMA)
    image = common.input_image(body, "image")
    return EraseTask(
        image=image,
        mask=common.edit_mask(body, image, "erase"),
        grow_mask=int(body.get("grow_mask", common.DEFAULT_GROW_MASK)),
        config=common.config_for(body, image.size),
    )


FAMILY = WireFamily(Family.STABILITY_ERASE_OBJECT, parse, common.encode_invoke)
