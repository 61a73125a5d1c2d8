"""Virtual try-on's mask: which part of the source image the reference item replaces.

Masks follow Nova Canvas's convention: black (0) where the source changes, white (255) where it is kept.
- maskType IMAGE: the caller's mask, used as given.
- maskType PROMPT: the text masker (CLIPSeg, `maskseg.py`) finds the caller's `maskPrompt`.
- maskType GARMENT: the text masker finds the garment class's region, named in words below; FULL_BODY is the
  union of the upper- and lower-body regions, as Nova documents it.
Then `maskShape` (BOUNDING_BOX fills the region's box; CONTOUR keeps its outline; DEFAULT keeps the outline of a
prompt and grows a garment's, since the new garment's silhouette rarely matches the old one) and `maskExclusions`
(preserveFace / preserveHands: ON or DEFAULT keeps the face or hands the masker finds out of the mask) apply to
masks computed here, never to a caller's mask image.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
from PIL import Image as PILImage
from PIL import ImageFilter
from PIL.Image import Image

from outcrop.backends.maskseg import THRESHOLD

# What the text masker looks for, per garment class (Nova's high-level classes and their finer ones).
UPPER = ("upper body clothing, shirt, top, jacket and sleeves",)
LOWER = ("lower body clothing, trousers, skirt and legs",)
GARMENT_PHRASES: dict[str, tuple[str, ...]] = {
    "UPPER_BODY": UPPER,
    "LOWER_BODY": LOWER,
    "FULL_BODY": UPPER + LOWER,
    "FOOTWEAR": ("shoes",),
    "LONG_SLEEVE_SHIRT": ("long sleeve shirt and arms",),
    "SHORT_SLEEVE_SHIRT": ("short sleeve shirt",),
    "NO_SLEEVE_SHIRT": ("sleeveless shirt",),
    "OTHER_UPPER_BODY": UPPER,
    "LONG_PANTS": ("long pants and legs",),
    "SHORT_PANTS": ("shorts",),
    "OTHER_LOWER_BODY": LOWER,
    "LONG_DRESS": ("long dress",),
    "SHORT_DRESS": ("short dress",),
    "FULL_BODY_OUTFIT": ("full body outfit",),
    "OTHER_FULL_BODY": UPPER + LOWER,
    "SHOES": ("shoes",),
    "BOOTS": ("boots",),
    "OTHER_FOOTWEAR": ("shoes",),
}
EXCLUSIONS = {"preserveFace": "face", "preserveHands": "hands"}
GROW_FRACTION = 0.03  # a garment's DEFAULT shape grows by this share of the image's shorter side


class Masker(Protocol):
    def mask(self, image: Image, text: str) -> Image: ...

    def probabilities(self, image: Image, text: str) -> np.ndarray: ...


def garment_words(garment_class: str) -> str:
    """How a garment class is described to the inpainting model's text encoder."""
    return " and ".join(phrase.split(",")[0] for phrase in GARMENT_PHRASES[garment_class])


def computed_mask(
    masker: Masker, image: Image, phrases: tuple[str, ...], shape: str, *, garment: bool, exclusions: Mapping[str, Any]
) -> Image:
    """The mask of `phrases` in `image` (their union), shaped by `shape` and with `exclusions` kept out."""
    change = np.zeros((image.height, image.width), dtype=bool)
    for phrase in phrases:
        change |= np.asarray(masker.mask(image, phrase)) == 0
    change = _shaped(change, shape, garment)
    return to_mask(_excluded(change, masker, image, exclusions))


def _shaped(change: np.ndarray, shape: str, garment: bool) -> np.ndarray:
    if shape == "BOUNDING_BOX":
        return bounding_box(change)
    if shape == "DEFAULT" and garment:
        grow = max(1, int(GROW_FRACTION * min(change.shape))) * 2 + 1
        black = PILImage.fromarray(np.where(change, 0, 255).astype(np.uint8), mode="L")
        return np.asarray(black.filter(ImageFilter.MinFilter(grow))) == 0  # the black region widens
    return change


def bounding_box(change: np.ndarray) -> np.ndarray:
    """The smallest axis-aligned box holding every True pixel (all False stays all False)."""
    rows, cols = np.flatnonzero(change.any(axis=1)), np.flatnonzero(change.any(axis=0))
    box = np.zeros_like(change)
    if rows.size:
        box[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] = True
    return box


def _excluded(change: np.ndarray, masker: Masker, image: Image, exclusions: Mapping[str, Any]) -> np.ndarray:
    """`change` without the regions to preserve; a region is only one the masker finds (no fallback guess), and
    exclusions never empty the mask (the request asked for something to change)."""
    kept = change.copy()
    for key, word in EXCLUSIONS.items():
        if exclusions.get(key, "DEFAULT") == "OFF":
            continue
        grid = masker.probabilities(image, word)
        found = PILImage.fromarray(grid, mode="F").resize(image.size, PILImage.Resampling.BILINEAR)
        kept &= np.asarray(found) < THRESHOLD
    return kept if kept.any() else change


def to_mask(change: np.ndarray) -> Image:
    return PILImage.fromarray(np.where(change, 0, 255).astype(np.uint8), mode="L")
