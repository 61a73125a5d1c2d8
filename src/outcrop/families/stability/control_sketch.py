"""`stability.stable-image-control-sketch-v1:0`: a sketch or line drawing plus a prompt -> an image that follows
its lines (body in `control.py`)."""

from __future__ import annotations

from outcrop.catalog.model import Family
from outcrop.families.base import Body
from outcrop.families.stability import control
from outcrop.families.stability.service import wire
from outcrop.tasks import Task
from outcrop.tasks.control_image import ControlKind


def parse(body: Body) -> Task:
    return control.parse(body, ControlKind.SKETCH)


FAMILY = wire(Family.STABILITY_CONTROL_SKETCH, parse)
