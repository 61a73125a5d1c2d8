"""Titan Text Embeddings G1 (`amazon.titan-embed-text-v1`, 1536-d) and V2 (`amazon.titan-embed-text-v2:0`)."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, Json, WireFamily
from outcrop.families.results import embedded, token_headers
from outcrop.families.titan_text_embed.body import encode_titan_text, parse_titan_text_v1, parse_titan_text_v2
from outcrop.tasks import Task


def _parse_v1(entry: ModelEntry, body: Body) -> Task:
    return parse_titan_text_v1(body)


def _parse_v2(entry: ModelEntry, body: Body) -> Task:
    return parse_titan_text_v2(body)


def _encode_v1(entry: ModelEntry, task: Task, result: object, body: Body) -> Json:
    return encode_titan_text(body, embedded(result), 1)


def _encode_v2(entry: ModelEntry, task: Task, result: object, body: Body) -> Json:
    return encode_titan_text(body, embedded(result), 2)


FAMILIES = (
    WireFamily(Family.TITAN_EMBED_TEXT_V1, _parse_v1, _encode_v1, headers=token_headers),
    WireFamily(Family.TITAN_EMBED_TEXT_V2, _parse_v2, _encode_v2, headers=token_headers),
)
