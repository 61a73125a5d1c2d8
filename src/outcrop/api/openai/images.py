"""OpenAI's images API: POST /v1/images/generations (JSON), /v1/images/edits and /v1/images/variations (multipart).

The `openai` SDK pointed at `http://host:port/v1` runs unchanged, with Bedrock model ids as model names. Each
request becomes the Task the Bedrock wire and the native API build (TextToImageTask, InpaintTask,
ImageVariationTask), checked by the model family's own rules (families/amazon_image/checks.py), then runs as
every image request does: input filter, executor, release (output filter, watermark, signed PNG, review).
These paths sit beside the native /v1/images/{generate,vary,inpaint,...} routes and are not in /openapi.json:
OpenAI's own reference documents them.
"""

from __future__ import annotations

import asyncio
import base64
import io
import re
import time
from dataclasses import dataclass

from fastapi import APIRouter
from PIL.Image import Image
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from outcrop.access import Action
from outcrop.api.bedrock.request import state_of
from outcrop.api.disconnect import until_disconnect
from outcrop.api.openai.errors import invalid, openai_errors
from outcrop.api.openai.fields import MAX_USER_CHARS, Fields, form_fields, json_fields, read_upload
from outcrop.api.openai.masks import edit_mask, has_alpha
from outcrop.api.security.gate import authorize
from outcrop.api.security.policy import Need
from outcrop.catalog import ModelEntry
from outcrop.errors import ModelError, ValidationError
from outcrop.families.amazon_image import LIMITS
from outcrop.families.amazon_image.checks import check_config, check_task, supports
from outcrop.families.amazon_image.encode import ALL_OUTPUTS_BLOCKED, base64_images
from outcrop.families.amazon_image.limits import ImageFamily
from outcrop.services import Services
from outcrop.tasks import ImageVariationTask, InpaintTask, Task, TaskKind, TextToImageTask
from outcrop.tasks.generation import GenerationConfig, ImagesResult, Quality
from outcrop.tasks.imaging import open_image, to_rgb
from outcrop.tasks.text_to_image import Style

router = APIRouter(prefix="/v1/images", tags=["openai"], include_in_schema=False)
DEFAULT_MODEL = "amazon.nova-canvas-v1:0"
DEFAULT_SIZE = (1024, 1024)  # OpenAI's default size, and Bedrock's
MAX_IMAGES = 5  # Titan Image Generator and Nova Canvas make 1-5 images a request (checks.check_config)

_COMMON = ("model", "n", "size", "response_format", "user")
_OUTPUT = ("quality", "background", "output_format", "output_compression", "stream", "partial_images")
GENERATION_FIELDS = frozenset({*_COMMON, *_OUTPUT, "prompt", "style", "moderation"})
EDIT_FIELDS = frozenset({*_COMMON, *_OUTPUT, "image", "image[]", "mask", "prompt", "input_fidelity"})
VARIATION_FIELDS = frozenset({*_COMMON, "image"})
_SIZE = re.compile(r"(\d{1,5})x(\d{1,5})")


@dataclass(frozen=True)
class Target:
    """The model a request names, as the catalog resolves it, with its family's limits."""

    entry: ModelEntry
    family: ImageFamily


@dataclass(frozen=True)
class Output:
    """How the images go back: file format, JPEG/WebP quality, and the size reported."""

    image_format: str
    compression: int
    size: tuple[int, int]


# ---- routes ----------------------------------------------------------------------------------------------------


@router.post("/generations")
@openai_errors
async def generations(request: Request) -> Response:
    fields = await json_fields(request)
    fields.refuse_unknown(GENERATION_FIELDS, "POST /v1/images/generations")
    state = state_of(request)
    target = resolve_target(request, state, fields, TaskKind.TEXT_TO_IMAGE)
    prompt = _prompt(fields)
    size = _size(fields, target.family, DEFAULT_SIZE)
    quality = _output_options(fields, ("standard", "hd", "low", "medium", "high", "auto"))
    fields.choice("moderation", ("low", "auto"), "auto")  # the server's own input and output filters apply either way
    task = TextToImageTask(prompt=prompt, style=_style(fields), config=_config(fields, target, quality, size))
    result = await run_task(request, target, task)
    return reply(result, _output(fields, size))


@router.post("/edits")
@openai_errors
async def edits(request: Request) -> Response:
    fields, form = await form_fields(request, max_files=2)  # the image and its mask
    try:
        fields.refuse_unknown(EDIT_FIELDS, "POST /v1/images/edits")
        state = state_of(request)
        target = resolve_target(request, state, fields, TaskKind.INPAINT)
        prompt = _prompt(fields)
        quality = _output_options(fields, ("standard", "low", "medium", "high", "auto"))
        fields.choice("input_fidelity", ("high", "low"), "low")  # GPT-image only: no counterpart here
        upload = _required_file(fields, ("image", "image[]"), "image", target)
        mask_upload = _file(fields, ("mask",), "mask", target)
        image, mask = await _edit_inputs(upload, mask_upload, target.family)
    finally:
        await form.close()
    if fields.present("size") and fields.text("size") != "auto" and _parse_size(fields) != image.size:
        width, height = image.size
        raise invalid(
            f"size is {fields.text('size')}, but an edit keeps the image's size ({width}x{height}); send size auto "
            f"or {width}x{height}.",
            "size",
        )
    config = _config(fields, target, quality, DEFAULT_SIZE)  # inpainting paints at the image's own size
    task = InpaintTask(image=image, mask=mask, prompt=prompt, config=config)
    result = await run_task(request, target, task)
    return reply(result, _output(fields, image.size))


@router.post("/variations")
@openai_errors
async def variations(request: Request) -> Response:
    fields, form = await form_fields(request, max_files=1)
    try:
        fields.refuse_unknown(VARIATION_FIELDS, "POST /v1/images/variations")
        state = state_of(request)
        target = resolve_target(request, state, fields, TaskKind.IMAGE_VARIATION)
        size = _size(fields, target.family, DEFAULT_SIZE)
        _response_format(fields)
        _user(fields)
        upload = _required_file(fields, ("image",), "image", target)
        raw = await read_upload(upload, "image", target.family.image_limits.max_bytes)
    finally:
        await form.close()
    image = await asyncio.to_thread(open_image, raw, "image", target.family.image_limits)
    config = _config(fields, target, Quality.STANDARD, size)
    result = await run_task(request, target, ImageVariationTask(images=(image,), config=config))
    return reply(result, Output("png", 100, size))


# ---- the model and its task --------------------------------------------------------------------------------------


def resolve_target(request: Request, state: Services, fields: Fields, kind: TaskKind) -> Target:
    """The image model named by `model` (Nova Canvas when omitted), once the caller's key may use it."""
    name = fields.text("model") or DEFAULT_MODEL
    authorize(request.state.principal, Need(frozenset({Action.INVOKE}), name))  # the access layer sees no model here
    try:
        entry: ModelEntry | None = state.catalog.resolve(name)
    except ValidationError:
        entry = None
    family = LIMITS.get(entry.family) if entry is not None else None
    if entry is None or family is None or not supports(family, kind) or kind not in entry.bindings:
        usable = ", ".join(working_ids(state, kind))
        raise invalid(f"model {name!r} cannot serve this here; send model as one of: {usable}.", "model",
                      "model_not_found")  # fmt: skip
    return Target(entry, family)


def working_ids(state: Services, kind: TaskKind) -> list[str]:
    """Catalog ids this route can serve: Amazon image models bound for `kind` in this profile, the default first."""
    ids = [
        entry.model_id
        for entry in state.catalog.models.values()
        if entry.family in LIMITS and supports(LIMITS[entry.family], kind) and kind in entry.bindings
    ]
    return sorted(ids, key=lambda model_id: (model_id != DEFAULT_MODEL, model_id))


async def run_task(request: Request, target: Target, task: Task) -> ImagesResult:
    """As every image door runs a task: the family's checks, the input filter, the model, then release."""
    state = state_of(request)
    model_id = target.entry.model_id
    checked = check_task(task, target.family)
    state.guard.check_task(model_id, checked)
    result = await until_disconnect(request, state.executor.run(target.entry, checked))  # a client gone stops it
    if not isinstance(result, ImagesResult):
        raise ModelError(f"{model_id} returned {type(result).__name__} instead of images.")
    released = await asyncio.to_thread(state.release.finish_images, model_id, checked, result)
    if not released.images:
        raise ValidationError(ALL_OUTPUTS_BLOCKED)
    return released


def _config(fields: Fields, target: Target, quality: Quality, size: tuple[int, int]) -> GenerationConfig:
    family = target.family
    return GenerationConfig(number_of_images=_count(fields, family), quality=quality, cfg_scale=family.default_cfg,
                            seed=family.default_seed, width=size[0], height=size[1])  # fmt: skip


# ---- fields ------------------------------------------------------------------------------------------------------


def _prompt(fields: Fields) -> str:
    prompt = fields.text("prompt")
    if not prompt or not prompt.strip():
        raise invalid("prompt is required; send a text description of the image.", "prompt",
                      "missing_required_parameter")  # fmt: skip
    return prompt


def _count(fields: Fields, family: ImageFamily) -> int:
    count = fields.integer("n", 1)
    if not 1 <= count <= MAX_IMAGES:
        raise invalid(f"n is {count}; {family.label} makes 1 to {MAX_IMAGES} images a request: send n from 1 to "
                      f"{MAX_IMAGES}.", "n")  # fmt: skip
    return count


def _parse_size(fields: Fields) -> tuple[int, int]:
    text = fields.text("size") or ""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise invalid(f"size is {text!r}; send WIDTHxHEIGHT in pixels (e.g. 1024x1024) or auto.", "size")
    return int(match.group(1)), int(match.group(2))


def _size(fields: Fields, family: ImageFamily, default: tuple[int, int]) -> tuple[int, int]:
    """`size` as (width, height), within the family's size rules; `auto` or absent: `default`."""
    if fields.text("size", "auto") == "auto":
        return default
    width, height = _parse_size(fields)
    try:
        check_config(GenerationConfig(width=width, height=height, cfg_scale=family.default_cfg,
                                      seed=family.default_seed), family)  # fmt: skip
    except ValidationError as error:
        raise invalid(f"size {width}x{height} does not suit {family.label}: {error.message}", "size") from error
    return width, height


def _style(fields: Fields) -> Style | None:
    """OpenAI's `natural` is Nova Canvas's PHOTOREALISM; `vivid` (OpenAI's default) adds no style."""
    return Style.PHOTOREALISM if fields.choice("style", ("vivid", "natural"), "vivid") == "natural" else None


def _output_options(fields: Fields, qualities: tuple[str, ...]) -> Quality:
    """Check what shapes the reply (format, background, streaming); the Quality `quality` asks for."""
    _response_format(fields)
    _user(fields)
    _output_format(fields)
    if fields.choice("background", ("transparent", "opaque", "auto"), "auto") == "transparent":
        raise invalid("background transparent is not served: these models paint opaque images. Send background "
                      "opaque or auto; to cut a subject out, use POST /v1/images/remove-background.", "background",
                      "unsupported_value")  # fmt: skip
    if fields.boolean("stream"):
        raise invalid("stream is not served; send stream false (or leave it out) for all images in one reply.",
                      "stream", "unsupported_value")  # fmt: skip
    partial = fields.integer("partial_images", 0)
    if not 0 <= partial <= 3:
        raise invalid(f"partial_images is {partial}; send a value from 0 to 3.", "partial_images")
    quality = fields.choice("quality", qualities, "auto")
    return Quality.PREMIUM if quality in ("hd", "high") else Quality.STANDARD


def _response_format(fields: Fields) -> None:
    if fields.choice("response_format", ("b64_json", "url"), "b64_json") == "url":
        raise invalid("response_format url is not served: Outcrop keeps no public store of generated files. Send "
                      "response_format b64_json and decode data[i].b64_json.", "response_format",
                      "unsupported_value")  # fmt: skip


def _user(fields: Fields) -> None:
    user = fields.text("user")  # OpenAI's end-user tag for its abuse monitoring; not used or logged here
    if user is not None and len(user) > MAX_USER_CHARS:
        raise invalid(f"user is {len(user):,} characters; send at most {MAX_USER_CHARS}.", "user")


def _output_format(fields: Fields) -> str:
    image_format = fields.choice("output_format", ("png", "jpeg", "webp"), "png")
    compression = fields.integer("output_compression", 100)
    if not 0 <= compression <= 100:
        raise invalid(f"output_compression is {compression}; send a value from 0 to 100.", "output_compression")
    return image_format


def _output(fields: Fields, size: tuple[int, int]) -> Output:
    return Output(_output_format(fields), fields.integer("output_compression", 100), size)


def _file(fields: Fields, names: tuple[str, ...], label: str, target: Target) -> UploadFile | None:
    """The one upload sent as `label` (under any of `names`), or None."""
    uploads = fields.files(*names)
    if len(uploads) > 1:
        raise invalid(f"{len(uploads)} files were sent as {label}; {target.family.label} takes one {label} a "
                      "request: send one.", label)  # fmt: skip
    return uploads[0] if uploads else None


def _required_file(fields: Fields, names: tuple[str, ...], label: str, target: Target) -> UploadFile:
    upload = _file(fields, names, label, target)
    if upload is None:
        raise invalid(f"{label} is required; send it as a file (PNG or JPEG).", label, "missing_required_parameter")
    return upload


async def _edit_inputs(upload: UploadFile, mask_upload: UploadFile | None, family: ImageFamily) -> tuple[Image, Image]:
    """The image and the InpaintTask mask (black = change) from the mask's, or else the image's, transparency."""
    limits = family.image_limits
    raw = await read_upload(upload, "image", limits.max_bytes)
    raw_mask = await read_upload(mask_upload, "mask", limits.max_bytes) if mask_upload is not None else None

    def decode() -> tuple[Image, Image]:
        image = open_image(raw, "image", limits)
        if raw_mask is not None:
            return image, edit_mask(open_image(raw_mask, "mask", limits), image, "mask")
        if not has_alpha(image):
            raise invalid("No mask was sent and image has no transparency, so nothing marks what to edit; send a "
                          "mask PNG whose fully transparent pixels (alpha 0) mark the region, or an image with "
                          "such pixels.", "mask", "missing_required_parameter")  # fmt: skip
        return image, edit_mask(image, image, "image")

    return await asyncio.to_thread(decode)


# ---- the reply ---------------------------------------------------------------------------------------------------


def reply(result: ImagesResult, output: Output) -> JSONResponse:
    """OpenAI's ImagesResponse; PNGs are the signed files themselves (JPEG and WebP carry the watermark only)."""
    if output.image_format == "png":
        images = base64_images(result)
    else:
        images = [_encoded(image, output) for image in result.images]
    width, height = output.size
    return JSONResponse({
        "created": int(time.time()),
        "data": [{"b64_json": data} for data in images],
        "background": "opaque",
        "output_format": output.image_format,
        "size": f"{width}x{height}",
    })  # fmt: skip


def _encoded(image: Image, output: Output) -> str:
    buffer = io.BytesIO()
    to_rgb(image).save(buffer, format=output.image_format.upper(), quality=output.compression)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


__all__ = ["DEFAULT_MODEL", "router"]
