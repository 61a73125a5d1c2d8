"""Stable Image Remove Background (`stability.stable-image-remove-background-v1:0`): the subject on a
transparent background (a PNG or WEBP keeps the alpha; a JPEG lays it on white)."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, WireFamily
from outcrop.families.schema import check, obj
from outcrop.families.stability import common
from outcrop.tasks import RemoveBackgroundTask, Task

SCHEMA = obj({"image": common.IMAGE, "output_format": common.OUTPUT_FORMAT}, required=("image",))


def parse(entry: ModelEntry, body: Body) -> Task:
    check(body, SCHEMA)
    return RemoveBackgroundTask(image=common.input_image(body, "image"))


# The segmenter draws no random numbers: the reply's `seeds` says 0 (see common.seed_of_task).
FAMILY = WireFamily(Family.STABILITY_REMOVE_BACKGROUND, parse, common.encode_invoke)
