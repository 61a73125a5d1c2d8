"""Titan Text Embeddings bodies -> EmbedTask: G1 (`amazon.titan-embed-text-v1`, 1536-d) and V2
(`amazon.titan-embed-text-v2:0`: `dimensions` 256/512/1024, `normalize`, `embeddingTypes` float/binary)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from outcrop.catalog.model import EMBEDDING_DIMENSIONS, Family
from outcrop.errors import ValidationError
from outcrop.families.schema import array, check, enum, obj, string
from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedResult

V2_DIMENSIONS = EMBEDDING_DIMENSIONS[Family.TITAN_EMBED_TEXT_V2]
V1_SCHEMA = obj({"inputText": string(1, 50_000)}, required=["inputText"])
V2_SCHEMA = obj(
    {
        "inputText": string(1, 50_000),
        "dimensions": enum(*V2_DIMENSIONS),
        "normalize": {"type": "boolean"},
        "embeddingTypes": {**array(enum("float", "binary"), 1, 2), "uniqueItems": True},
    },
    required=["inputText"],
)


def parse_titan_text_v1(body: Mapping[str, Any]) -> EmbedTask:
    check(body, V1_SCHEMA)
    return EmbedTask(text=body["inputText"], image=None, dimension=1536, truncate=False)


def parse_titan_text_v2(body: Mapping[str, Any]) -> EmbedTask:
    check(body, V2_SCHEMA)
    if body.get("normalize", True) is not True:
        raise ValidationError(
            "normalize false is not supported by this server: its text embedding models give unit-length vectors "
            "only. Leave normalize out (or send true)."
        )
    return EmbedTask(text=body["inputText"], image=None, dimension=int(body.get("dimensions", 1024)), truncate=False)


def encode_titan_text(body: Mapping[str, Any], result: EmbedResult, version: int) -> dict[str, Any]:
    """G1 answers the vector and its token count; V2 always adds `embeddingsByType` (float unless asked)."""
    vector = np.asarray(result.vector, dtype=np.float32)
    reply: dict[str, Any] = {"embedding": vector.tolist(), "inputTextTokenCount": result.text_token_count}
    if version == 2:
        reply["embeddingsByType"] = {kind: _typed(vector, kind) for kind in body.get("embeddingTypes", ["float"])}
    return reply


def _typed(vector: np.ndarray, kind: str) -> list[Any]:
    values: list[Any] = (vector if kind == "float" else (vector > 0).astype(np.int8)).tolist()
    return values
