"""to_rgb: every backend's one way to 8-bit RGB."""

from __future__ import annotations

import numpy as np
from PIL import Image

from outcrop.tasks.imaging import to_rgb


def test_sixteen_bit_grey_is_scaled_not_clipped():
    grey = Image.fromarray(np.full((4, 4), 32896, dtype=np.uint16))  # 128 * 257
    assert to_rgb(grey).getpixel((0, 0)) == (128, 128, 128)


def test_transparent_pixels_over_white_or_kept():
    hidden = Image.new("RGBA", (4, 4), (10, 20, 30, 0))
    assert to_rgb(hidden).getpixel((0, 0)) == (255, 255, 255)
    assert to_rgb(hidden, over_white=False).getpixel((0, 0)) == (10, 20, 30)


def test_plain_modes_convert():
    assert to_rgb(Image.new("L", (2, 2), 7)).getpixel((0, 0)) == (7, 7, 7)
    assert to_rgb(Image.new("RGB", (2, 2), (1, 2, 3))).getpixel((0, 0)) == (1, 2, 3)
