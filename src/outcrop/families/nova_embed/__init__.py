"""Nova 2 Multimodal Embeddings (`amazon.nova-2-multimodal-embeddings-v1:0`): SINGLE_EMBEDDING on InvokeModel
(text, image or video -> one vector) and SEGMENTED_EMBEDDING jobs on StartAsyncInvoke (`segmented.py`)."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, JobKind, Json, WireFamily
from outcrop.families.nova_embed.body import IMAGE_LIMITS, parse_nova_embed
from outcrop.families.nova_embed.segmented import SegmentedEmbedTask, parse_segmented
from outcrop.families.results import embedded, token_headers, vector_list
from outcrop.tasks import EmbedBatchTask, Task


def _parse(entry: ModelEntry, body: Body) -> Task:
    return parse_nova_embed(body)


def _encode(entry: ModelEntry, task: Task, result: object, body: Body) -> Json:
    kind = (
        "VIDEO" if isinstance(task, EmbedBatchTask) else "TEXT" if getattr(task, "text", None) is not None else "IMAGE"
    )
    return {"embeddings": [{"embeddingType": kind, "embedding": vector_list(embedded(result))}]}


def _parse_async(entry: ModelEntry, body: Body) -> SegmentedEmbedTask:
    return parse_segmented(body)


FAMILY = WireFamily(
    Family.NOVA_2_EMBED, _parse, _encode, parse_async=_parse_async, job=JobKind.SEGMENTED_EMBEDDING,
    headers=token_headers,
)  # fmt: skip

__all__ = ["FAMILY", "IMAGE_LIMITS"]
