"""Render a similarity matrix as a labelled heatmap PNG (the lab's plot), with Pillow only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

# A few stops of the viridis colour map; values between them are interpolated.
_STOPS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64)
CELL, MARGIN = 48, 120


def colour(value: float, low: float, high: float) -> tuple[int, int, int]:
    t = 0.0 if high <= low else min(max((value - low) / (high - low), 0.0), 1.0)
    position = t * (len(_STOPS) - 1)
    index = min(int(position), len(_STOPS) - 2)
    mix = _STOPS[index] + (position - index) * (_STOPS[index + 1] - _STOPS[index])
    r, g, b = (round(c) for c in mix)
    return r, g, b


def render(labels: list[str], matrix: NDArray[np.floating], path: Path) -> None:
    n = len(labels)
    image = Image.new("RGB", (MARGIN + n * CELL + 10, MARGIN + n * CELL + 10), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    off_diagonal = matrix[~np.eye(n, dtype=bool)] if n > 1 else matrix.ravel()
    low, high = float(off_diagonal.min()), float(matrix.max())
    for row in range(n):
        draw.text((4, MARGIN + row * CELL + CELL // 3), labels[row][-18:], fill="black", font=font)
        for col in range(n):
            box = (MARGIN + col * CELL, MARGIN + row * CELL, MARGIN + (col + 1) * CELL, MARGIN + (row + 1) * CELL)
            draw.rectangle(box, fill=colour(float(matrix[row, col]), low, high))
            draw.text((box[0] + 6, box[1] + CELL // 3), f"{matrix[row, col]:.2f}", fill="white", font=font)
    _column_labels(image, labels, font)
    draw.text((4, 4), "cosine similarity", fill="black", font=font)
    image.save(path, format="PNG")


def _column_labels(image: Image.Image, labels: list[str], font: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> None:
    for col, label in enumerate(labels):
        strip = Image.new("RGB", (MARGIN - 10, 14), "white")
        ImageDraw.Draw(strip).text((0, 0), label[-18:], fill="black", font=font)
        rotated = strip.rotate(90, expand=True)
        image.paste(rotated, (MARGIN + col * CELL + CELL // 3, 5))
