"""Cohere Embed bodies -> EmbedBatchTask: v3 (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`, 1024-d)
and v4 (`cohere.embed-v4:0`, `output_dimension` 256/512/1024/1536), with the reply Bedrock returns:
`embeddings_floats` (a list of vectors) or, when `embedding_types` is given, `embeddings_by_type`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from outcrop.catalog.model import EMBEDDING_DIMENSIONS, Family
from outcrop.errors import ValidationError
from outcrop.families.schema import array, check, enum, integer, obj, string
from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedBatchTask, EmbeddingPurpose, EmbedResult
from outcrop.tasks.imaging import ImageLimits, decode_image

IMAGE_LIMITS = ImageLimits(max_bytes=5 * 1024 * 1024, max_side=8192, max_pixels=8192 * 8192,
                           formats=frozenset({"PNG", "JPEG", "WEBP", "GIF"}))  # fmt: skip
INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
EMBEDDING_TYPES = ("float", "int8", "uint8", "binary", "ubinary")
_PURPOSE = {"search_query": EmbeddingPurpose.GENERIC_RETRIEVAL, "search_document": EmbeddingPurpose.GENERIC_INDEX,
            "classification": EmbeddingPurpose.CLASSIFICATION, "clustering": EmbeddingPurpose.CLUSTERING,
            "image": EmbeddingPurpose.GENERIC_INDEX}  # fmt: skip
_COMMON = {
    "texts": array(string(0, 2048), 0, 96),
    "images": array(string(1), 1, 1),
    "input_type": enum(*INPUT_TYPES),
    "truncate": enum("NONE", "START", "END"),
    "embedding_types": {**array(enum(*EMBEDDING_TYPES), 1, 5), "uniqueItems": True},
}
V3_SCHEMA = obj(_COMMON, required=["input_type"])
_V4_ONLY = {
    "output_dimension": enum(*EMBEDDING_DIMENSIONS[Family.COHERE_EMBED_V4]),
    "max_tokens": integer(1, 128_000),
    "inputs": {"type": "array"},
}
V4_SCHEMA = obj({**_COMMON, **_V4_ONLY}, required=["input_type"])


def parse_cohere_embed(body: Mapping[str, Any], family: Family) -> EmbedBatchTask:
    check(body, V4_SCHEMA if family is Family.COHERE_EMBED_V4 else V3_SCHEMA)
    if "inputs" in body:
        raise ValidationError("inputs (mixed content) is not supported by this server; send texts or images.")
    if ("texts" in body) == ("images" in body):
        raise ValidationError("Send exactly one of texts (up to 96 strings) or images (one data URI).")
    if body.get("truncate") == "START":
        raise ValidationError("truncate START is not supported by this server; send END (cut the end) or NONE.")
    dimension = int(body.get("output_dimension", EMBEDDING_DIMENSIONS[family][-1]))
    purpose, truncate = _PURPOSE[body["input_type"]], body.get("truncate", "END") == "END"
    if "images" in body:
        image = decode_image(_data_uri_payload(body["images"][0]), "images[0]", IMAGE_LIMITS)
        return EmbedBatchTask((EmbedTask(text=None, image=image, dimension=dimension, purpose=purpose),))
    if not body["texts"]:
        raise ValidationError("texts is empty; send between 1 and 96 strings to embed.")
    return EmbedBatchTask(tuple(EmbedTask(text=text, image=None, dimension=dimension, purpose=purpose,
                                          truncate=truncate) for text in body["texts"]))  # fmt: skip


def _data_uri_payload(uri: str) -> str:
    head, comma, payload = uri.partition(",")
    if not comma or not head.startswith("data:image/") or not head.endswith(";base64"):
        raise ValidationError("images[0] must be a data URI: data:image/png;base64,<base64 of the image bytes>.")
    return payload


def encode_cohere(body: Mapping[str, Any], results: Sequence[EmbedResult]) -> dict[str, Any]:
    vectors = np.stack([np.asarray(r.vector, dtype=np.float32) for r in results])
    reply: dict[str, Any] = {"id": str(uuid.uuid4())}
    if "texts" in body:
        reply["texts"] = list(body["texts"])
    if "embedding_types" not in body:
        return {**reply, "embeddings": vectors.tolist(), "response_type": "embeddings_floats"}
    typed = {kind: quantized(vectors, kind) for kind in body["embedding_types"]}
    return {**reply, "embeddings": typed, "response_type": "embeddings_by_type"}


def quantized(vectors: np.ndarray, kind: str) -> list[list[Any]]:
    """float as is; int8/uint8 scaled by each vector's largest magnitude (Cohere calibrates its own scale, so
    integer values differ from Cohere's while their ranking agrees); binary/ubinary one sign bit per dimension packed
    eight to a byte, ubinary as unsigned bytes and binary as the same bytes minus 128, as Cohere defines them."""
    values: np.ndarray = vectors
    if kind in ("int8", "uint8"):
        scale = np.abs(vectors).max(axis=1, keepdims=True)
        signed = np.rint(vectors / np.where(scale == 0, 1, scale) * 127).astype(np.int16)
        values = signed if kind == "int8" else signed + 128
    elif kind in ("binary", "ubinary"):
        packed = np.packbits(vectors > 0, axis=1).astype(np.int16)
        values = packed - 128 if kind == "binary" else packed
    rows: list[list[Any]] = values.tolist()
    return rows
