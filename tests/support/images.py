"""Small images for request bodies, built in code."""

from __future__ import annotations

import base64
import io

from PIL import Image


def png_b64(width: int, height: int, color: tuple[int, ...] = (180, 40, 40), mode: str = "RGB") -> str:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), color).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def jpeg_b64(width: int, height: int, color: tuple[int, int, int] = (40, 40, 180)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


def box_mask_b64(width: int, height: int, box: tuple[int, int, int, int]) -> str:
    """White image with a black box: black marks the masked region."""
    mask = Image.new("RGB", (width, height), (255, 255, 255))
    mask.paste((0, 0, 0), box)
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()
