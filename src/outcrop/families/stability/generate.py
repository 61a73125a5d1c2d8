"""Stability AI's generators on Bedrock: Stable Image Ultra, Stable Image Core and Stable Diffusion 3.5 Large.

One body for all three (`prompt`, `negative_prompt`, `aspect_ratio`, `seed`, `output_format`, `mode`), reply
`{"seeds", "finish_reasons", "images"}`. What differs is written on each `Generator`: Ultra and SD3.5 Large also
turn an image into another (`mode: "image-to-image"` with `image` and `strength`), Core generates from text only;
Ultra and Core answer PNG or JPEG, SD3.5 Large WEBP too.

`mode` defaults to what the body holds: image-to-image with an `image`, text-to-image without. Text-to-image is
generated at about one megapixel in `aspect_ratio` (`common.size_for`); image-to-image keeps the input's aspect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL.Image import Image

from outcrop.catalog.model import Family, ModelEntry
from outcrop.errors import ValidationError
from outcrop.families.base import Body, Json, WireFamily
from outcrop.families.schema import check, enum, number, obj
from outcrop.families.stability.common import (
    ASPECT_RATIO,
    IMAGE,
    NEGATIVE_PROMPT,
    OUTPUT_FORMATS,
    PROMPT,
    SEED,
    encode_reply,
    input_image,
    seed_of,
    size_for,
)
from outcrop.tasks import ImageToImageTask, Task, TextToImageTask
from outcrop.tasks.generation import GenerationConfig

TEXT_TO_IMAGE = "text-to-image"
IMAGE_TO_IMAGE = "image-to-image"
# Stability's services run without a guidance input; 4.0 is SD3.5 Large's recommended scale (distilled weights
# such as large-turbo override it with the backend's `guidance_scale` option).
CFG_SCALE = 4.0
PIXELS = 1024 * 1024  # the services' output size: about one megapixel
MULTIPLE = 64


@dataclass(frozen=True)
class Generator:
    family: Family
    label: str
    image_to_image: bool
    output_formats: tuple[str, ...]


ULTRA = Generator(Family.STABILITY_IMAGE_ULTRA, "Stable Image Ultra", True, ("png", "jpeg"))
CORE = Generator(Family.STABILITY_IMAGE_CORE, "Stable Image Core", False, ("png", "jpeg"))
SD3_5_LARGE = Generator(Family.STABILITY_SD3_5_LARGE, "Stable Diffusion 3.5 Large", True, OUTPUT_FORMATS)
GENERATORS: dict[Family, Generator] = {g.family: g for g in (ULTRA, CORE, SD3_5_LARGE)}


def schema(generator: Generator) -> dict[str, Any]:
    """The body's schema. `image` and `strength` are listed for Core too, so that sending them is answered by
    `parse` with where image-to-image is served instead of a bare 'extraneous key'."""
    return obj(
        {
            "prompt": PROMPT,
            "negative_prompt": NEGATIVE_PROMPT,
            "aspect_ratio": ASPECT_RATIO,
            "seed": SEED,
            "output_format": enum(*generator.output_formats),
            "mode": enum(TEXT_TO_IMAGE, IMAGE_TO_IMAGE),
            "image": IMAGE,
            "strength": number(0, 1),
        },
        required=["prompt"],
    )


def parse(generator: Generator, body: Body) -> Task:
    check(body, schema(generator))
    mode = str(body.get("mode", IMAGE_TO_IMAGE if "image" in body else TEXT_TO_IMAGE))
    if mode == IMAGE_TO_IMAGE:
        return _image_to_image(generator, body)
    if "image" in body or "strength" in body:
        raise ValidationError(
            f'image and strength apply to mode {IMAGE_TO_IMAGE} only; send mode "{IMAGE_TO_IMAGE}" with both, '
            "or remove them to generate from the prompt alone."
        )
    width, height = size_for(str(body.get("aspect_ratio", "1:1")), PIXELS, MULTIPLE)
    return TextToImageTask(
        prompt=str(body["prompt"]), negative_prompt=_negative(body), config=_config(body, width, height)
    )


def _image_to_image(generator: Generator, body: Body) -> ImageToImageTask:
    if not generator.image_to_image:
        served = ", ".join(sorted(g.label for g in GENERATORS.values() if g.image_to_image))
        raise ValidationError(
            f"{generator.label} generates from text only; remove mode, image and strength, or call a model that "
            f"takes an image ({served})."
        )
    for key, what in (("image", "a base64 PNG, JPEG or WEBP image"), ("strength", "a number from 0 to 1")):
        if key not in body:
            raise ValidationError(f"mode {IMAGE_TO_IMAGE} needs {key}; send {what}.")
    if "aspect_ratio" in body:
        raise ValidationError(
            f"aspect_ratio applies to mode {TEXT_TO_IMAGE} only (an image-to-image output keeps the image's aspect "
            "ratio); remove it."
        )
    image = input_image(body, "image")
    width, height = size_like(image)
    return ImageToImageTask(
        image=image,
        prompt=str(body["prompt"]),
        negative_prompt=_negative(body),
        strength=float(body["strength"]),
        config=_config(body, width, height),
    )


def size_like(image: Image, pixels: int = PIXELS, multiple: int = MULTIPLE) -> tuple[int, int]:
    """About `pixels` in `image`'s aspect ratio, each side a multiple of `multiple`."""
    width, height = image.size
    scale = (pixels / (width * height)) ** 0.5
    return (max(multiple, round(width * scale / multiple) * multiple),
            max(multiple, round(height * scale / multiple) * multiple))  # fmt: skip


def _negative(body: Body) -> str | None:
    return str(body["negative_prompt"]) if body.get("negative_prompt") else None


def _config(body: Body, width: int, height: int) -> GenerationConfig:
    return GenerationConfig(number_of_images=1, cfg_scale=CFG_SCALE, seed=seed_of(body), width=width, height=height)


def _wire(generator: Generator) -> WireFamily:
    def parse_invoke(entry: ModelEntry, body: Body) -> Task:
        return parse(generator, body)

    def encode_invoke(entry: ModelEntry, task: Task, result: object, body: Body) -> Json:
        seed = task.config.seed if isinstance(task, TextToImageTask | ImageToImageTask) else 0
        return encode_reply(result, seed, str(body.get("output_format", "png")))

    return WireFamily(generator.family, parse_invoke, encode_invoke)


FAMILIES = tuple(_wire(generator) for generator in GENERATORS.values())

__all__ = ["CORE", "FAMILIES", "GENERATORS", "SD3_5_LARGE", "ULTRA", "parse", "schema", "size_like"]
