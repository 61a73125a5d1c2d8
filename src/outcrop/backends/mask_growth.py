"""Stability AI's `grow_mask`: widen an edit mask by some pixels and feather the widened edge, so the repainted
region blends into the kept one instead of meeting it at a seam."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL import ImageChops, ImageFilter
from PIL.Image import Image


def grow(mask: Image, pixels: int) -> Image:
    """`mask` (mode 'L', white = change, grey = partly) widened by `pixels` in every direction, the band fading
    from full strength at the mask to about nothing at its outer edge, nothing beyond. Strengths inside the original
    mask are kept; 0 returns the mask unchanged."""
    if pixels <= 0:
        return mask
    core = mask.convert("L")
    half = _dilate(core, max(1, pixels // 2))
    # The blur of the half-widened mask reaches ~2% two sigmas (pixels / 2) out; the full widening cuts it there.
    band = ImageChops.multiply(half.filter(ImageFilter.GaussianBlur(pixels / 4)), _dilate(core, pixels))
    return ImageChops.lighter(core, band)


def _dilate(mask: Image, pixels: int) -> Image:
    import cv2  # opencv-python-headless (the ml extra); its dilation costs the same for any radius

    kernel: Any = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return PILImage.fromarray(cv2.dilate(np.asarray(mask), kernel))
