"""Nova Reel v1:0 and v1:1: text (and an optional first frame) -> MP4, through StartAsyncInvoke only."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, JobKind, WireFamily
from outcrop.families.nova_reel.body import parse_reel_input
from outcrop.tasks import Task

VERSIONS = {Family.NOVA_REEL_V1_0: "v1:0", Family.NOVA_REEL_V1_1: "v1:1"}


def _parse_async(entry: ModelEntry, body: Body) -> Task:
    return parse_reel_input(body, VERSIONS[entry.family])


FAMILIES = tuple(WireFamily(family, parse_async=_parse_async, job=JobKind.VIDEO) for family in VERSIONS)
