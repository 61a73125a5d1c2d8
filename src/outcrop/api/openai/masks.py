"""OpenAI's edit masks -> the mask InpaintTask takes.

OpenAI marks the region to edit by transparency: the mask's (or, without a mask, the image's own) fully
transparent pixels (alpha 0) are edited, every other pixel is kept. InpaintTask takes Bedrock's convention, a
black/white image the size of the image where black is the region to change (tasks/inpaint.py).
"""

from __future__ import annotations

import numpy as np
from PIL import Image as PILImage
from PIL.Image import Image

from outcrop.api.openai.errors import invalid

_TRANSPARENT_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


def has_alpha(image: Image) -> bool:
    return image.mode in _TRANSPARENT_MODES or "transparency" in image.info


def edit_mask(source: Image, image: Image, field: str) -> Image:
    """Mode 'L': 0 (black, change) where `source` is fully transparent, 255 (white, keep) elsewhere."""
    if source.size != image.size:
        raise invalid(
            f"{field} is {source.size[0]}x{source.size[1]} but image is {image.size[0]}x{image.size[1]}; "
            "send a mask the same size as the image.",
            field,
        )
    if not has_alpha(source):
        raise invalid(
            f"{field} has no transparency; send a PNG whose fully transparent pixels (alpha 0) mark where to edit.",
            field,
        )
    alpha = np.asarray(source.convert("RGBA"))[..., 3]
    edit = alpha == 0
    if not edit.any():
        raise invalid(
            f"{field} has no fully transparent pixels, so nothing would change; make the region to edit "
            "transparent (alpha 0).",
            field,
        )
    return PILImage.fromarray(np.where(edit, 0, 255).astype(np.uint8), mode="L")
