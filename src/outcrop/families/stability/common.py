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

from PIL import Image as PILImage
from PIL import ImageOps
from PIL.Image import Image

from outcrop.errors import ModelError, ValidationError
from outcrop.families.amazon_image.encode import base64_images
from outcrop.families.schema import enum, integer, string
from outcrop.tasks.generation import GenerationConfig, ImagesResult
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


# ---- the edit services' shared pieces (inpaint, outpaint, erase, search-and-replace/recolor, remove background) --

GROW_MASK = integer(0, 20)
DEFAULT_GROW_MASK = 5
# A mask may be any size (it is resized to the image's), so it has the image's byte and pixel limits but no minimum.
MASK_IMAGE = ImageLimits(
    max_bytes=EDIT_IMAGE.max_bytes, min_side=1, max_side=EDIT_IMAGE.max_side, max_pixels=EDIT_IMAGE.max_pixels,
    formats=EDIT_IMAGE.formats,
)  # fmt: skip
NO_MASK = (
    "{key} has no alpha channel and no mask was sent; send mask (white where to {verb}, black where to keep) or "
    "an image whose transparent pixels mark where to {verb}."
)

# Stable Diffusion has no style input; it follows these words appended to the prompt (my own phrasing of each
# preset's look).
STYLE_WORDS: dict[str, str] = {
    "3d-model": "3D model render, clean studio lighting",
    "analog-film": "analog film photograph, film grain, muted colours",
    "anime": "anime style, cel shading, clean line art",
    "cinematic": "cinematic still, dramatic lighting, shallow depth of field",
    "comic-book": "comic book art, bold ink outlines, halftone shading",
    "digital-art": "digital art, vivid colours, detailed",
    "enhance": "highly detailed, sharp focus, vibrant",
    "fantasy-art": "fantasy art, epic, painterly, magical atmosphere",
    "isometric": "isometric view, clean geometry",
    "line-art": "line art, black ink lines on white",
    "low-poly": "low poly 3D, flat shaded facets",
    "modeling-compound": "clay figure, modeling compound, handmade look",
    "neon-punk": "neon punk, glowing neon lights, cyberpunk palette",
    "origami": "origami, folded paper craft",
    "photographic": "photograph, natural light, realistic detail",
    "pixel-art": "pixel art, 16-bit sprite style",
    "tile-texture": "seamless tile texture, repeating pattern",
}


def styled(prompt: str, body: Body) -> str:
    """The prompt with the request's `style_preset` words appended (the prompt alone when none was sent)."""
    preset = body.get("style_preset")
    if preset is None:
        return prompt
    words = STYLE_WORDS[str(preset)]
    return f"{prompt}, {words}" if prompt else words


def edit_mask(body: Body, image: Image, verb: str) -> Image:
    """The per-pixel strength of an edit as mode 'L' the image's size, white = full strength: the `mask` field
    (resized to the image when its size differs, as Stability AI does) or else the image's alpha channel
    (transparent = full strength); the mask wins when both are there."""
    if body.get("mask") is not None:
        mask = decode_image(str(body["mask"]), "mask", MASK_IMAGE).convert("L")
        return mask if mask.size == image.size else mask.resize(image.size, PILImage.Resampling.BILINEAR)
    if "A" in image.getbands() or "transparency" in image.info:
        return ImageOps.invert(image.convert("RGBA").getchannel("A"))
    raise ValidationError(NO_MASK.format(key="image", verb=verb))


def output_format_of(body: Body) -> str:
    return str(body.get("output_format", "png"))


def seed_of_task(task: object) -> int:
    """The seed a Task ran with (its GenerationConfig's), for the reply's `seeds`; 0 for tasks that draw none."""
    config = getattr(task, "config", None)
    return int(getattr(config, "seed", 0))


def encode_invoke(entry: object, task: object, result: object, body: Body) -> Json:
    """InvokeModel's reply for every edit service: the task's seed and the requested `output_format`."""
    return encode_reply(result, seed_of_task(task), output_format_of(body))


def config_for(body: Body, size: tuple[int, int]) -> GenerationConfig:
    """One image of `size` (width, height), from the request's seed (a random one for 0 or none)."""
    width, height = size
    return GenerationConfig(number_of_images=1, seed=seed_of(body), width=width, height=height)
