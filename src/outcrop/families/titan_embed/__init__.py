"""Titan Multimodal Embeddings G1 (`amazon.titan-embed-image-v1`): text and/or an image -> one vector."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, Json, WireFamily
from outcrop.families.results import embedded, token_headers, vector_list
from outcrop.families.titan_embed.body import IMAGE_LIMITS, parse_titan_embed
from outcrop.tasks import Task


def _parse(entry: ModelEntry, body: Body) -> Task:
    return parse_titan_embed(body)


def _encode(entry: ModelEntry, task: Task, result: object, body: Body) -> Json:
    vector = embedded(result)
    return {"embedding": vector_list(vector), "inputTextTokenCount": vector.text_token_count, "message": None}


FAMILY = WireFamily(Family.TITAN_EMBED_IMAGE, _parse, _encode, headers=token_headers)

__all__ = ["FAMILY", "IMAGE_LIMITS"]
