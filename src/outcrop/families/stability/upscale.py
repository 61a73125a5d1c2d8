"""What the three upscale services share: their input-image rules (which differ from the edit services') and the
output size each implies.

- Fast Upscale: 4x the input, exactly. Input sides 32 to 1,536 px, 1,024 to 1,048,576 pixels, so the output is at
  most 6,144 px a side and 16.8 megapixels.
- Conservative Upscale: input sides at least 64 px, 4,096 to 9,437,184 pixels (the edit services' rule).
- Creative Upscale: input sides at least 64 px, 4,096 to 1,048,576 pixels.
Conservative and Creative answer about four megapixels in the input's aspect ratio (an input already that large
keeps its size). Every service also takes aspect ratios within 1:2.5 and 2.5:1 only.
"""

from __future__ import annotations

from PIL.Image import Image

from outcrop.errors import ValidationError
from outcrop.families.base import Body
from outcrop.families.stability.common import EDIT_IMAGE, MAX_ASPECT, input_image, seed_of
from outcrop.families.stability.service import text
from outcrop.tasks import UpscaleTask
from outcrop.tasks.imaging import ImageLimits, decode_image
from outcrop.tasks.upscale import UpscaleMode

FAST_SCALE = 4
FAST_MIN_PIXELS = 1_024
FAST_IMAGE = ImageLimits(
    max_bytes=EDIT_IMAGE.max_bytes, min_side=32, max_side=1_536, max_pixels=1_048_576, formats=EDIT_IMAGE.formats
)
CONSERVATIVE_IMAGE = EDIT_IMAGE
CREATIVE_IMAGE = ImageLimits(
    max_bytes=EDIT_IMAGE.max_bytes, min_side=64, max_side=1_048_576 // 64, max_pixels=1_048_576,
    formats=EDIT_IMAGE.formats,
)  # fmt: skip
TARGET_PIXELS = 2048 * 2048  # "to about 4 megapixels"


def fast_image(body: Body) -> Image:
    """The Fast Upscale input: dimensions are checked from the header before any pixel is decoded."""
    image = decode_image(str(body["image"]), "image", FAST_IMAGE)
    width, height = image.size
    if width * height < FAST_MIN_PIXELS:
        raise ValidationError(
            f"image is {width}x{height} ({width * height:,} pixels); send an image of at least "
            f"{FAST_MIN_PIXELS:,} pixels (e.g. 32x32) and at most {FAST_IMAGE.max_pixels:,} (e.g. 1024x1024)."
        )
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ValidationError(
            f"image is {width}x{height}, an aspect ratio beyond 1:2.5 or 2.5:1; send an image whose sides are "
            "within 2.5 times of each other."
        )
    return image


def diffusion_upscale(body: Body, limits: ImageLimits, mode: UpscaleMode, default_creativity: float) -> UpscaleTask:
    """The Conservative or Creative Upscale task (their schemas differ; the fields they share mean the same): the
    input within `limits` and the services' pixel and aspect rules, the output about four megapixels."""
    image = input_image(body, "image", limits)
    width, height = target_size(image)
    return UpscaleTask(
        image=image,
        mode=mode,
        width=width,
        height=height,
        prompt=str(body["prompt"]),
        negative_prompt=text(body, "negative_prompt"),
        creativity=float(body.get("creativity", default_creativity)),
        style_preset=text(body, "style_preset"),  # only Creative's schema admits it
        seed=seed_of(body),
    )


def target_size(image: Image, pixels: int = TARGET_PIXELS) -> tuple[int, int]:
    """About `pixels` in the input's aspect ratio, never smaller than the input."""
    width, height = image.size
    scale = max(1.0, (pixels / (width * height)) ** 0.5)
    return round(width * scale), round(height * scale)
