"""`stability.stable-image-control-structure-v1:0`: an image plus a prompt -> a new image that keeps the input's
structure (body in `control.py`)."""

from __future__ import annotations

from outcrop.catalog.model import Family
from outcrop.families.base import Body
from outcrop.families.stability import control
from outcrop.families.stability.service import wire
from outcrop.tasks import Task
from outcrop.tasks.control_image import ControlKind


def parse(body: Body) -> Task:
    return control.parse(body, ControlKind.STRUCTURE)


FAMILY = wire(Family.STABILITY_CONTROL_STRUCTURE, parse)
