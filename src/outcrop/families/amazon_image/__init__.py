"""Titan Image Generator v1, v2 and Nova Canvas: one wire body (`taskType` + its params +
`imageGenerationConfig`), with per-model tasks, limits and defaults (`limits.py`)."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.amazon_image.body import parse_image_body
from outcrop.families.amazon_image.encode import encode_images
from outcrop.families.amazon_image.limits import NOVA_CANVAS, TITAN_V1, TITAN_V2, ImageFamily
from outcrop.families.base import Body, Json, WireFamily
from outcrop.tasks import Task

LIMITS: dict[Family, ImageFamily] = {
    Family.TITAN_IMAGE_V1: TITAN_V1,
    Family.TITAN_IMAGE_V2: TITAN_V2,
    Family.NOVA_CANVAS: NOVA_CANVAS,
}


def _parse(entry: ModelEntry, body: Body) -> Task:
    return parse_image_body(body, LIMITS[entry.family])


def _encode(entry: ModelEntry, task: Task, result: object, body: Body) -> Json:
    return encode_images(result)


FAMILIES = tuple(WireFamily(family, _parse, _encode) for family in LIMITS)

__all__ = ["FAMILIES", "LIMITS"]
