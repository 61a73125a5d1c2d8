"""Native REST API for images: POST /v1/images/{generate,vary,inpaint,outpaint,recolor,remove-background}.

Each body is derived from its Task (task_models.py); a request runs exactly as InvokeModel runs one: the model
family's limits, the input filter, the executor, then release (output filter, watermark, signature, review).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from outcrop.api.bedrock.request import state_of
from outcrop.api.disconnect import until_disconnect
from outcrop.api.native.task_models import build_task, class_doc, request_model
from outcrop.catalog import Family
from outcrop.errors import ModelError, ValidationError
from outcrop.families.amazon_image import LIMITS
from outcrop.families.amazon_image.checks import check_task, supports
from outcrop.families.amazon_image.limits import ImageFamily
from outcrop.tasks import (
    ColorGuidedTask,
    ImageVariationTask,
    InpaintTask,
    OutpaintTask,
    RemoveBackgroundTask,
    Task,
    TaskKind,
    TextToImageTask,
)
from outcrop.tasks.generation import GenerationConfig, ImagesResult
from outcrop.tasks.imaging import decode_image, encode_png, encode_png_base64

router = APIRouter(prefix="/v1/images", tags=["images"])
DEFAULT_MODEL = "amazon.nova-canvas-v1:0"
MODEL_ID_FIELD = (str, Field(DEFAULT_MODEL, alias="modelId", description="Bedrock image model id"))


@dataclass(frozen=True)
class Operation:
    """One route: its path segment, the Task it builds (and that Task's kind), its request model."""

    path: str
    task_type: type[Any]
    kind: TaskKind
    summary: str
    model: type[BaseModel]


def _operation(path: str, task_type: type[Any], kind: TaskKind, summary: str) -> Operation:
    name = task_type.__name__.removesuffix("Task") + "Request"
    model = request_model(task_type, name, extra={"model_id": MODEL_ID_FIELD})
    return Operation(path, task_type, kind, summary, model)


OPERATIONS = (
    _operation("generate", TextToImageTask, TaskKind.TEXT_TO_IMAGE, "Generate images from a prompt"),
    _operation("vary", ImageVariationTask, TaskKind.IMAGE_VARIATION, "New images close to 1-5 reference images"),
    _operation("inpaint", InpaintTask, TaskKind.INPAINT, "Change the masked region of an image"),
    _operation("outpaint", OutpaintTask, TaskKind.OUTPAINT, "Keep the masked region and regenerate around it"),
    _operation("recolor", ColorGuidedTask, TaskKind.COLOR_GUIDED, "Generate images following a colour palette"),
    _operation(
        "remove-background", RemoveBackgroundTask, TaskKind.REMOVE_BACKGROUND, "Cut the main subject out (RGBA)"
    ),
)


class ImagesResponse(BaseModel):
    images: list[str] = Field(description="Base64 PNGs (watermarked and signed)")
    seed: int | None = Field(description="The request's seed; None for operations without one")
    seeds: list[int] = Field(description="Seed of each generated image: image i uses seed + i")
    modelId: str  # noqa: N815  # the wire's casing
    blocked: int = Field(description="Images withheld by the output filter")
    maskImages: list[str] = Field(default_factory=list, description="Masks used, when returnMask was set")  # noqa: N815
    reviewAssetIds: list[str] = Field(  # noqa: N815
        default_factory=list, description="Review-queue asset id of each image (empty when review is off)"
    )


async def run_operation(request: Request, op: Operation, body: BaseModel) -> ImagesResponse:
    state = state_of(request)
    model_id: str = getattr(body, "model_id")  # noqa: B009  # added by the request model, not the Task
    entry = state.catalog.resolve(model_id)
    family = _family(entry.family, model_id, op)
    task = check_task(build_task(body, lambda data, where: decode_image(data, where, family.image_limits)), family)
    state.guard.check_task(entry.model_id, task)
    result = await until_disconnect(request, state.executor.run(entry, task))
    if not isinstance(result, ImagesResult):
        raise ModelError(f"{entry.model_id} returned {type(result).__name__} instead of images.")
    released = await asyncio.to_thread(state.release.finish_images, entry.model_id, task, result)
    return _response(entry.model_id, task, released)


def _family(family: Family, model_id: str, op: Operation) -> ImageFamily:
    image_family = LIMITS.get(family)
    if image_family is None:
        raise ValidationError(f"{model_id} does not make images; send modelId {DEFAULT_MODEL} or a Titan image model.")
    if not supports(image_family, op.kind):
        raise ValidationError(f"{model_id} cannot {op.path}; send modelId {DEFAULT_MODEL}, which can.")
    return image_family


def _response(model_id: str, task: Task, result: ImagesResult) -> ImagesResponse:
    config = getattr(task, "config", None)
    seed = config.seed if isinstance(config, GenerationConfig) else None
    count = config.number_of_images if isinstance(config, GenerationConfig) else 0
    pngs = result.pngs or [encode_png(image) for image in result.images]
    return ImagesResponse(
        images=[base64.b64encode(png).decode("ascii") for png in pngs],
        seed=seed,
        seeds=[seed + i for i in range(count)] if seed is not None else [],
        modelId=model_id,
        blocked=result.blocked,
        maskImages=[encode_png_base64(mask) for mask in result.masks],
        reviewAssetIds=result.review_ids,
    )


def _endpoint(op: Operation) -> Callable[..., Coroutine[Any, Any, ImagesResponse]]:
    async def endpoint(request: Request, body: BaseModel) -> ImagesResponse:
        return await run_operation(request, op, body)

    # The body's model is only known at runtime, so the annotation FastAPI reads is set here.
    endpoint.__annotations__ = {"request": Request, "body": op.model, "return": ImagesResponse}
    endpoint.__name__ = op.path.replace("-", "_")
    return endpoint


for _op in OPERATIONS:
    router.add_api_route(
        f"/{_op.path}", _endpoint(_op), methods=["POST"], summary=_op.summary, response_model=ImagesResponse,
        description=class_doc(_op.task_type) or _op.summary,
    )  # fmt: skip

__all__ = ["DEFAULT_MODEL", "OPERATIONS", "router"]
