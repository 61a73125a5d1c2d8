"""What every Stability AI image service on Bedrock shares: snake_case fields, seeds, output formats, the input
image rules, and the reply `{"seeds": [...], "finish_reasons": [...], "images": [...]}`.

Each service (`stability.stable-image-inpaint-v1:0`, `stability.sd3-5-large-v1:0`, ...) is its own family with its
own body module; they build their schemas from these fragments so that limits are written once.
"""

from __future__ import annotations

import base64
import io
import secrets
from collections.abc import Mapping
from typing import Any

from PIL.Image import Image

from outcrop.errors import ModelError, ValidationError
from outcrop.families.amazon_image.encode import base64_images
from outcrop.families.schema import enum, integer, string
from outcrop.tasks.generation import ImagesResult
from outcrop.tasks.imaging import ACCEPTED_FORMATS, ImageLimits, decode_image, to_rgb

Json = dict[str, Any]
Body = Mapping[str, Any]

SEED_MAX = 4_294_967_294
TEXT_MAX = 10_000
OUTPUT_FORMATS = ("png", "jpeg", "webp")
STYLE_PRESETS = (
    "3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art", "enhance", "fantasy-art",
    "isometric", "line-art", "low-poly", "modeling-compound", "neon-punk", "origami", "photographic", "pixel-art",
    "tile-texture",
)  # fmt: skip
ASPECT_RATIOS = ("16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")

# Input images of the edit and control services: every side at least 64 px, 4,096 to 9,437,184 pixels in all,
# aspect ratio within 1:2.5 and 2.5:1 (checked by `check_aspect`), PNG, JPEG or WEBP.
EDIT_IMAGE = ImageLimits(
    max_bytes=25_000_000, min_side=64, max_side=9_437_184 // 64, max_pixels=9_437_184,
    formats=ACCEPTED_FORMATS | {"WEBP"},
)  # fmt: skip
MIN_PIXELS = 4_096
MAX_ASPECT = 2.5

PROMPT = string(1, TEXT_MAX)
OPTIONAL_PROMPT = string(0, TEXT_MAX)
NEGATIVE_PROMPT = string(0, TEXT_MAX)
SEED = integer(0, SEED_MAX)
OUTPUT_FORMAT = enum(*OUTPUT_FORMATS)
STYLE_PRESET = enum(*STYLE_PRESETS)
ASPECT_RATIO = enum(*ASPECT_RATIOS)
IMAGE = string(min_length=1)

FILTERED_OUTPUT = "Filter reason: output image"


def seed_of(body: Body) -> int:
    """The request's seed; 0 or none means "pick one", and the reply's `seeds` says which was used."""
    seed = int(body.get("seed", 0))
    return seed if seed else secrets.randbelow(SEED_MAX) + 1


def input_image(body: Body, key: str, limits: ImageLimits = EDIT_IMAGE) -> Image:
    """A base64 image field, decoded within `limits` and the services' pixel-count and aspect-ratio rules."""
    image = decode_image(str(body[key]), key, limits)
    check_pixels(image, key, limits)
    return image


def check_pixels(image: Image, key: str, limits: ImageLimits = EDIT_IMAGE) -> None:
    width, height = image.size
    if width * height < MIN_PIXELS:
        raise ValidationError(
            f"{key} is {width}x{height} ({width * height:,} pixels); send an image of at least {MIN_PIXELS:,} "
            f"pixels and at most {limits.max_pixels:,}."
        )
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ValidationError(
            f"{key} is {width}x{height}, an aspect ratio beyond 1:2.5 or 2.5:1; send an image whose sides are "
            "within 2.5 times of each other."
        )


def size_for(aspect_ratio: str, pixels: int = 1024 * 1024, multiple: int = 64) -> tuple[int, int]:
    """Width and height for `aspect_ratio` ("16:9") at about `pixels`, each a multiple of `multiple`."""
    across, down = (int(part) for part in aspect_ratio.split(":"))
    height = (pixels * down / across) ** 0.5
    width = height * across / down
    return _round(width, multiple), _round(height, multiple)


def _round(value: float, multiple: int) -> int:
    return max(multiple, round(value / multiple) * multiple)


def encode_reply(result: object, seed: int, output_format: str) -> Json:
    """The services' reply: one seed, finish reason and base64 image per output (a withheld image keeps its seed
    and says why, with no image)."""
    if not isinstance(result, ImagesResult):
        raise ModelError(f"A Stability image service returned {type(result).__name__} instead of images.")
    images = base64_images(result) if output_format == "png" else [_encode(i, output_format) for i in result.images]
    reasons: list[str | None] = [None] * len(images) + [FILTERED_OUTPUT] * result.blocked
    return {"seeds": [seed] * len(reasons), "finish_reasons": reasons, "images": images}


def _encode(image: Image, output_format: str) -> str:
    buffer = io.BytesIO()
    picture = to_rgb(image) if output_format == "jpeg" else image
    picture.save(buffer, format=output_format.upper(), quality=95)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
