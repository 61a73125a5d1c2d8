"""Titan Image Generator and Nova Canvas bodies -> image Tasks (schema first, then the checks JSON Schema
cannot express: sizes, exactly-one-of masks, decodable images, masks matching their image)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PIL.Image import Image

from outcrop.errors import ValidationError
from outcrop.families.amazon_image.limits import NOVA_MAX_PIXELS, ImageFamily
from outcrop.families.amazon_image.schema import PARAMS_KEY, envelope_schema, task_schema
from outcrop.families.schema import check
from outcrop.tasks import (
    ColorGuidedTask,
    ImageVariationTask,
    InpaintTask,
    OutpaintTask,
    RemoveBackgroundTask,
    Task,
    TextToImageTask,
    VirtualTryOnTask,
)
from outcrop.tasks.generation import GenerationConfig, Quality
from outcrop.tasks.imaging import binary_mask, decode_image
from outcrop.tasks.outpaint import OutpaintMode
from outcrop.tasks.text_to_image import Conditioning, ControlMode, Style

Body = Mapping[str, Any]


def parse_image_body(body: Body, family: ImageFamily) -> Task:
    check(body, envelope_schema(family))
    task_type = str(body["taskType"])
    check(body, task_schema(family, task_type))
    params: Body = body[PARAMS_KEY[task_type]]
    config = generation_config(body.get("imageGenerationConfig", {}), family)
    return _PARSERS[task_type](params, config, family)


def generation_config(raw: Body, family: ImageFamily) -> GenerationConfig:
    width, height = int(raw.get("width", 1024)), int(raw.get("height", 1024))
    check_size(width, height, family)
    return GenerationConfig(
        number_of_images=int(raw.get("numberOfImages", 1)),
        quality=Quality(raw.get("quality", "standard")),
        cfg_scale=float(raw.get("cfgScale", family.default_cfg)),
        seed=int(raw.get("seed", family.default_seed)),
        width=width,
        height=height,
    )


def check_size(width: int, height: int, family: ImageFamily) -> None:
    if family.allowed_sizes is not None:
        if (width, height) not in family.allowed_sizes:
            sizes = ", ".join(f"{w}x{h}" for w, h in sorted(family.allowed_sizes))
            raise ValidationError(
                f"imageGenerationConfig width x height {width}x{height} is not supported by {family.label}; "
                f"send one of: {sizes}."
            )
        return
    if max(width, height) > 4 * min(width, height):
        raise ValidationError(
            f"imageGenerationConfig {width}x{height} has an aspect ratio beyond 1:4 or 4:1; "
            "send a width and height whose ratio lies between 1:4 and 4:1."
        )
    if width * height > NOVA_MAX_PIXELS:
        raise ValidationError(
            f"imageGenerationConfig {width}x{height} is {width * height:,} pixels; "
            f"send at most {NOVA_MAX_PIXELS:,} pixels (e.g. 2048x2048)."
        )


def _image(params: Body, key: str, family: ImageFamily, where: str) -> Image:
    return decode_image(params[key], f"{where}.{key}", family.image_limits)


def _optional_image(params: Body, key: str, family: ImageFamily, where: str) -> Image | None:
    return _image(params, key, family, where) if key in params else None


def _text_to_image(params: Body, config: GenerationConfig, family: ImageFamily) -> Task:
    where = "textToImageParams"
    if "conditionImage" not in params and ({"controlMode", "controlStrength"} & set(params)):
        raise ValidationError(
            f"{where}.controlMode and controlStrength apply only with a conditionImage; "
            "send a conditionImage or remove them."
        )
    condition = _optional_image(params, "conditionImage", family, where)
    conditioning = None
    if condition is not None:
        conditioning = Conditioning(
            image=condition,
            mode=ControlMode(params.get("controlMode", ControlMode.CANNY_EDGE)),
            strength=float(params.get("controlStrength", 0.7)),
        )
    style = Style(params["style"]) if "style" in params else None
    return TextToImageTask(
        prompt=params["text"],
        negative_prompt=params.get("negativeText"),
        style=style,
        conditioning=conditioning,
        config=config,
    )


def _mask_source(params: Body, family: ImageFamily, where: str) -> tuple[Image, Image | None, str | None]:
    if ("maskPrompt" in params) == ("maskImage" in params):
        raise ValidationError(
            f"{where} needs exactly one of maskPrompt or maskImage; send a maskPrompt naming the region, "
            "or a black/white maskImage the size of the image."
        )
    image = _image(params, "image", family, where)
    mask = None
    if "maskImage" in params:
        mask = binary_mask(_image(params, "maskImage", family, where), image, f"{where}.maskImage")
    return image, mask, params.get("maskPrompt")


def _inpainting(params: Body, config: GenerationConfig, family: ImageFamily) -> Task:
    image, mask, mask_prompt = _mask_source(params, family, "inPaintingParams")
    return InpaintTask(
        image=image,
        mask=mask,
        mask_prompt=mask_prompt,
        prompt=params.get("text"),
        negative_prompt=params.get("negativeText"),
        return_mask=bool(params.get("returnMask", False)),
        config=config,
    )


def _outpainting(params: Body, config: GenerationConfig, family: ImageFamily) -> Task:
    image, mask, mask_prompt = _mask_source(params, family, "outPaintingParams")
    return OutpaintTask(
        image=image,
        prompt=params["text"],
        mask=mask,
        mask_prompt=mask_prompt,
        negative_prompt=params.get("negativeText"),
        mode=OutpaintMode(params.get("outPaintingMode", OutpaintMode.DEFAULT)),
        return_mask=bool(params.get("returnMask", False)),
        config=config,
    )


def _variation(params: Body, config: GenerationConfig, family: ImageFamily) -> Task:
    limits = family.image_limits
    images = tuple(
        decode_image(data, f"imageVariationParams.images[{i}]", limits) for i, data in enumerate(params["images"])
    )
    return ImageVariationTask(
        images=images,
        prompt=params.get("text"),
        negative_prompt=params.get("negativeText"),
        similarity_strength=float(params.get("similarityStrength", 0.7)),
        config=config,
    )


def _color_guided(params: Body, config: GenerationConfig, family: ImageFamily) -> Task:
    return ColorGuidedTask(
        prompt=params["text"],
        colors=tuple(c.upper() for c in params["colors"]),
        negative_prompt=params.get("negativeText"),
        reference_image=_optional_image(params, "referenceImage", family, "colorGuidedGenerationParams"),
        config=config,
    )


def _background_removal(params: Body, config: GenerationConfig, family: ImageFamily) -> Task:
    return RemoveBackgroundTask(image=_image(params, "image", family, "backgroundRemovalParams"))


def _virtual_try_on(params: Body, config: GenerationConfig, family: ImageFamily) -> Task:
    where = "virtualTryOnParams"
    mask_type = str(params["maskType"])
    member = {"IMAGE": "imageBasedMask", "GARMENT": "garmentBasedMask", "PROMPT": "promptBasedMask"}[mask_type]
    if member not in params:
        raise ValidationError(f"{where}.maskType {mask_type} needs {where}.{member}; send it.")
    source = _image(params, "sourceImage", family, where)
    mask = None
    if mask_type == "IMAGE":
        raw_mask = decode_image(params[member]["maskImage"], f"{where}.{member}.maskImage", family.image_limits)
        mask = binary_mask(raw_mask, source, f"{where}.{member}.maskImage")
    return VirtualTryOnTask(
        source_image=source,
        reference_image=_image(params, "referenceImage", family, where),
        mask_type=mask_type,
        mask_image=mask,
        mask_prompt=params.get("promptBasedMask", {}).get("maskPrompt"),
        garment_class=params.get("garmentBasedMask", {}).get("garmentClass"),
        options={
            **{k: params[k] for k in ("maskExclusions", "mergeStyle") if k in params},
            **({"maskShape": params[member]["maskShape"]} if "maskShape" in params[member] else {}),
        },
        return_mask=bool(params.get("returnMask", False)),
        config=config,
    )


_PARSERS = {
    "TEXT_IMAGE": _text_to_image,
    "INPAINTING": _inpainting,
    "OUTPAINTING": _outpainting,
    "IMAGE_VARIATION": _variation,
    "COLOR_GUIDED_GENERATION": _color_guided,
    "BACKGROUND_REMOVAL": _background_removal,
    "VIRTUAL_TRY_ON": _virtual_try_on,
}
