"""Titan Multimodal Embeddings G1 body -> EmbedTask."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outcrop.catalog.model import EMBEDDING_DIMENSIONS, EMBEDDING_TEXT_TOKENS, Family
from outcrop.families.schema import check, enum, malformed, obj, string
from outcrop.tasks import EmbedTask
from outcrop.tasks.imaging import ImageLimits, decode_image

DIMENSIONS = EMBEDDING_DIMENSIONS[Family.TITAN_EMBED_IMAGE]
IMAGE_LIMITS = ImageLimits(max_bytes=25_000_000, max_side=2048, max_pixels=2048 * 2048)
SCHEMA = obj(
    {
        "inputText": string(min_length=1, max_length=100_000),
        "inputImage": string(min_length=1),
        "embeddingConfig": obj({"outputEmbeddingLength": enum(*DIMENSIONS)}),
    }
)


def parse_titan_embed(body: Mapping[str, Any]) -> EmbedTask:
    check(body, SCHEMA)
    if "inputText" not in body and "inputImage" not in body:
        raise malformed("#: required key [inputText] or [inputImage] not found; send text, an image, or both")
    image = None
    if "inputImage" in body:
        image = decode_image(body["inputImage"], "inputImage", IMAGE_LIMITS)
    dimension = int(body.get("embeddingConfig", {}).get("outputEmbeddingLength", 1024))
    # Titan refuses text over its token limit rather than truncating it.
    return EmbedTask(text=body.get("inputText"), image=image, dimension=dimension, truncate=False,
                     max_tokens=EMBEDDING_TEXT_TOKENS[Family.TITAN_EMBED_IMAGE])  # fmt: skip
