"""Native REST API for embeddings: POST /v1/embeddings, text and/or an image -> one vector.

The body is derived from EmbedTask (its `dimension` is `dimensions` on the wire); the vector comes from the same
embedder (and cache) InvokeModel uses.
"""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from outcrop.api.bedrock.request import state_of
from outcrop.api.native.task_models import build_task, request_model
from outcrop.catalog import Family
from outcrop.catalog.model import EMBEDDING_DIMENSIONS
from outcrop.errors import ValidationError
from outcrop.families import nova_embed, titan_embed
from outcrop.tasks import EmbedTask
from outcrop.tasks.imaging import ImageLimits, decode_image

router = APIRouter(prefix="/v1/embeddings", tags=["embeddings"])
DEFAULT_MODEL = "amazon.titan-embed-image-v1"
_IMAGE_LIMITS: dict[Family, ImageLimits] = {
    Family.TITAN_EMBED_IMAGE: titan_embed.IMAGE_LIMITS,
    Family.NOVA_2_EMBED: nova_embed.IMAGE_LIMITS,
}
_NO_IMAGES = ImageLimits(max_bytes=0, max_side=0, max_pixels=0)  # text-only families: refused before decoding
EmbeddingRequest = request_model(
    EmbedTask,
    "EmbeddingRequest",
    renames={"dimension": "dimensions"},
    extra={"model_id": (str, Field(DEFAULT_MODEL, alias="modelId", description="Bedrock embedding model id"))},
)


class EmbeddingResponse(BaseModel):
    embedding: list[float] = Field(description="The vector (float32 values)")
    dimensions: int
    modelId: str  # noqa: N815  # the wire's casing
    inputTextTokenCount: int = 0  # noqa: N815


async def create(request: Request, body: BaseModel) -> EmbeddingResponse:
    state = state_of(request)
    model_id: str = getattr(body, "model_id")  # noqa: B009  # added by the request model, not the Task
    entry = state.catalog.resolve(model_id)
    if entry.family not in EMBEDDING_DIMENSIONS:
        raise ValidationError(f"{model_id} does not embed; send modelId {DEFAULT_MODEL} or another embeddings model.")
    task = _task(body, entry.family, _IMAGE_LIMITS.get(entry.family))
    state.guard.check_task(entry.model_id, task)
    result = await state.embedder.embed(entry, task)
    vector = np.asarray(result.vector, dtype=np.float32)
    return EmbeddingResponse(
        embedding=vector.tolist(), dimensions=int(vector.shape[0]), modelId=entry.model_id,
        inputTextTokenCount=result.text_token_count,
    )  # fmt: skip


def _task(body: BaseModel, family: Family, limits: ImageLimits | None) -> EmbedTask:
    if getattr(body, "text", None) is None and getattr(body, "image", None) is None:
        raise ValidationError("Send text, an image (base64), or both to embed.")
    if limits is None and getattr(body, "image", None) is not None:
        raise ValidationError("This model embeds text only; send text, or choose an image embedding model.")
    task: EmbedTask = build_task(body, lambda data, where: decode_image(data, where, limits or _NO_IMAGES))
    allowed = EMBEDDING_DIMENSIONS[family]
    if task.dimension not in allowed:
        sizes = ", ".join(str(d) for d in allowed)
        raise ValidationError(f"dimensions {task.dimension} is not offered by this model; send one of {sizes}.")
    if family is Family.NOVA_2_EMBED and task.text is not None and task.image is not None:
        raise ValidationError("Nova 2 embeddings take text or an image, not both; send one of them.")
    return task


create.__annotations__ = {"request": Request, "body": EmbeddingRequest, "return": EmbeddingResponse}
router.add_api_route("", create, methods=["POST"], response_model=EmbeddingResponse, summary="Embed text or an image")

__all__ = ["DEFAULT_MODEL", "EmbeddingRequest", "router"]
