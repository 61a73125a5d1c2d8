"""Luma Ray 2 (`luma.ray-v2:0`): a prompt and optional start/end keyframes -> MP4, through StartAsyncInvoke only."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, JobKind, WireFamily
from outcrop.families.luma_ray.body import parse_ray_input
from outcrop.tasks import Task


def _parse_async(entry: ModelEntry, body: Body) -> Task:
    return parse_ray_input(body)


FAMILY = WireFamily(Family.LUMA_RAY_V2, parse_async=_parse_async, job=JobKind.VIDEO)
