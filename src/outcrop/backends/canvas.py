"""Outpainting by margins: the larger canvas a model paints on, and the mask of what it must paint."""

from __future__ import annotations

import numpy as np
from PIL import Image as PILImage
from PIL import ImageChops, ImageFilter
from PIL.Image import Image

from outcrop.tasks.imaging import to_rgb


def extend(image: Image, left: int, right: int, up: int, down: int) -> tuple[Image, Image]:
    """(canvas, repaint): the image on a canvas grown by the margins, and an 'L' mask white on the new border.

    The border starts as the image's edge pixels stretched outward and blurred: a smooth field of the colours at
    each edge, so a partial-strength denoise (low creativity) continues the picture instead of starting from grey.
    """
    rgb = to_rgb(image)
    padded = np.pad(np.asarray(rgb), ((up, down), (left, right), (0, 0)), mode="edge")
    radius = max(left, right, up, down) / 4
    canvas = PILImage.fromarray(padded).filter(ImageFilter.GaussianBlur(radius))
    canvas.paste(rgb, (left, up))
    repaint = PILImage.new("L", canvas.size, 255)
    repaint.paste(0, (left, up, left + rgb.width, up + rgb.height))
    return canvas, repaint


def seam_alpha(repaint: Image, feather: int) -> Image:
    """How much of the painted canvas to keep: the border fully, fading to none over `feather` pixels towards the
    image, and none of the image itself (its pixels stay exactly the original's)."""
    if feather <= 0:
        return repaint
    return ImageChops.multiply(repaint.filter(ImageFilter.GaussianBlur(feather)), repaint)
