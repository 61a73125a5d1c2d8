"""Stable Image Search and Recolor (`stability.stable-image-search-recolor-v1:0`): find what `select_prompt`
names (the text-to-mask model) and repaint that region in the colours the prompt asks for."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, WireFamily
from outcrop.families.schema import check
from outcrop.families.stability import common
from outcrop.families.stability.search_replace import schema, text_masked
from outcrop.tasks import Task

SCHEMA = schema("select_prompt")


def parse(entry: ModelEntry, body: Body) -> Task:
    check(body, SCHEMA)
    return text_masked(body, "select_prompt")


FAMILY = WireFamily(Family.STABILITY_SEARCH_RECOLOR, parse, common.encode_invoke)
