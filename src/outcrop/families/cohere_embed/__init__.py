"""Cohere Embed v3 (English, multilingual; 1024-d) and v4 (256-1536-d): `texts` or one image -> vectors."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, Json, WireFamily
from outcrop.families.cohere_embed.body import encode_cohere, parse_cohere_embed
from outcrop.families.results import embedded_list, token_headers
from outcrop.tasks import Task


def _parse(entry: ModelEntry, body: Body) -> Task:
    return parse_cohere_embed(body, entry.family)


def _encode(entry: ModelEntry, task: Task, result: object, body: Body) -> Json:
    return encode_cohere(body, embedded_list(result))


FAMILIES = tuple(
    WireFamily(family, _parse, _encode, headers=token_headers)
    for family in (Family.COHERE_EMBED_V3, Family.COHERE_EMBED_V4)
)
