"""Invisible watermark on generated images: embed a fixed payload, detect it with a confidence.

Why not PyPI `invisible-watermark` (imwatermark): its package `__init__` imports `rivaGan`, which imports
torch at module level, and it requires opencv-python (the GUI build); that breaks "import outcrop never imports
torch". Its dwtDct scheme also keys bits to fixed 4x4 block positions at full resolution, so a 0.5x resize moves
every block and destroys the mark. This module uses the same family of technique (quantisation index modulation
of low-frequency block-DCT coefficients of luminance) in numpy and Pillow only, on a *canonical grid*: the
luminance is box-downsampled to 256x256 before embedding and before detecting, so any rescale of the whole
image lands on the same grid. Cropping, rotation and flips are not survived (documented limit).

Payload: 48 bits, a 40-bit magic constant plus an 8-bit version. Each bit is repeated over ~107 coefficient
slots scattered by a fixed pseudo-random permutation, each slot with its own fixed dither, and read back by
soft majority vote. `confidence` is the fraction of the 48 bits that match; an unmarked image matches like a
fair coin (Binomial(48, 0.5)), so the threshold of 42/48 has a false-positive probability of ~5.0e-8 per image.
Images smaller than 256 on either side are left unmarked (`embed` returns them unchanged): the canonical grid
would then be larger than the image, and a mark put into interpolated pixels does not survive. `detect` reads
images down to 128 on the short side (a marked image shrunk to half size) and reports `watermarked: false`,
confidence 0.0, below that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage
from PIL.Image import Image

GRID = 256
BLOCK = 8
MIN_SIDE = GRID
# A marked image shrunk to half size (e.g. 512 -> 256 -> a 300px original at 150) must still detect.
MIN_DETECT_SIDE = GRID // 2
MAGIC = 0x0C7C_A0A7_5E  # 40 bits: "outcrop" mark
VERSION = 1
PAYLOAD_BITS = 48
THRESHOLD = 42 / PAYLOAD_BITS
# QIM step on orthonormal 8x8 DCT coefficients of 0-255 luminance: large enough to survive JPEG q75 and
# resampling, small enough to stay invisible (measured PSNR > 40 dB on the test photos).
STEP = 14.0
# Low frequencies only (not DC: shifting block brightness shows as a grid): they survive JPEG quantisation and
# low-pass resampling best.
POSITIONS = ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0))
EMBED_PASSES = 4
_SEED = 0x0C7C

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Detection:
    watermarked: bool
    confidence: float

    def as_dict(self) -> dict[str, bool | float]:
        return {"watermarked": self.watermarked, "confidence": round(self.confidence, 4)}


def _payload() -> NDArray[np.int64]:
    value = (MAGIC << 8) | VERSION
    return np.array([(value >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)], dtype=np.int64)


def _dct_matrix() -> Floats:
    k = np.arange(BLOCK)
    matrix = np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / (2 * BLOCK)) * np.sqrt(2 / BLOCK)
    matrix[0] /= np.sqrt(2)
    return np.asarray(matrix, dtype=np.float64)


_DCT = _dct_matrix()
_BLOCKS = GRID // BLOCK
_SLOTS = _BLOCKS * _BLOCKS * len(POSITIONS)
_rng = np.random.default_rng(_SEED)
# Which payload bit each slot carries (scattered so a local edit or flat area hits every bit a little) and the
# per-slot dither (so a flat image, whose coefficients are all 0, decodes to noise rather than to all-zero bits).
_BIT_OF_SLOT = _rng.permutation(_SLOTS) % PAYLOAD_BITS
_DITHER = _rng.uniform(0.0, STEP, _SLOTS)
_ROWS = np.array([p[0] for p in POSITIONS])
_COLS = np.array([p[1] for p in POSITIONS])


def _luma(rgb: Floats) -> Floats:
    return np.asarray(rgb @ np.array([0.299, 0.587, 0.114]), dtype=np.float64)


def _resize(plane: Floats, size: tuple[int, int], method: PILImage.Resampling) -> Floats:
    resized = PILImage.fromarray(plane.astype(np.float32)).resize(size, method)
    return np.asarray(resized, dtype=np.float64)


def _coefficients(grid: Floats) -> Floats:
    """The marked coefficients of every 8x8 block, flattened to slot order."""
    blocks = grid.reshape(_BLOCKS, BLOCK, _BLOCKS, BLOCK).transpose(0, 2, 1, 3)
    dct = _DCT @ blocks @ _DCT.T  # per-block 2-D DCT; batched matmul, not einsum (10x faster here)
    return np.asarray(dct[:, :, _ROWS, _COLS].reshape(-1), dtype=np.float64)


def _spatial(deltas: Floats) -> Floats:
    """Inverse of `_coefficients` for a change of the marked coefficients: a 256x256 luminance residual."""
    dct = np.zeros((_BLOCKS, _BLOCKS, BLOCK, BLOCK))
    dct[:, :, _ROWS, _COLS] = deltas.reshape(_BLOCKS, _BLOCKS, len(POSITIONS))
    blocks = _DCT.T @ dct @ _DCT
    return np.asarray(blocks.transpose(0, 2, 1, 3).reshape(GRID, GRID), dtype=np.float64)


def _grid_of(rgb: Floats) -> Floats:
    height, width = rgb.shape[:2]
    plane = _luma(rgb)
    if (width, height) == (GRID, GRID):
        return plane
    # Box filter when shrinking (it averages every source pixel, so resampling noise cancels); a copy that was
    # shrunk below the grid is interpolated back up.
    shrinking = width >= GRID and height >= GRID
    method = PILImage.Resampling.BOX if shrinking else PILImage.Resampling.BILINEAR
    return _resize(plane, (GRID, GRID), method)


def is_embeddable(image: Image) -> bool:
    return min(image.size) >= MIN_SIDE


def embed(image: Image) -> Image:
    """The image with the payload embedded; RGBA keeps its alpha, other modes come back RGB or RGBA.

    Closed loop: after each pass the marked image is re-read exactly as a detector would (rounded to uint8,
    box-downsampled) and the remaining quantisation error is corrected, so rounding and clipping do not leave
    bits on the wrong side.
    """
    if not is_embeddable(image):
        return image
    alpha = image.getchannel("A") if image.mode in {"RGBA", "LA", "PA"} else None
    original = np.asarray(image.convert("RGB"), dtype=np.float64)
    targets_bits = _payload()[_BIT_OF_SLOT] * (STEP / 2) + _DITHER
    marked = original
    width, height = image.size
    for _ in range(EMBED_PASSES):
        values = _coefficients(_grid_of(np.round(marked)))
        target = np.round((values - targets_bits) / STEP) * STEP + targets_bits
        residual = _spatial(target - values)
        if (width, height) != (GRID, GRID):
            residual = _resize(residual, (width, height), PILImage.Resampling.BILINEAR)
        marked = np.clip(marked + residual[:, :, None], 0.0, 255.0)
    result = PILImage.fromarray(np.round(marked).astype(np.uint8))
    if alpha is not None:
        result.putalpha(alpha)
    return result


def embed_frames(frames: Sequence[Image]) -> list[Image]:
    """Mark every frame of a video (each frame carries the whole payload, so any single frame detects)."""
    return [embed(frame) for frame in frames]


def detect(image: Image) -> Detection:
    if min(image.size) < MIN_DETECT_SIDE:
        return Detection(watermarked=False, confidence=0.0)
    values = _coefficients(_grid_of(np.asarray(image.convert("RGB"), dtype=np.float64)))
    # Soft vote: +1 when a slot sits on the lattice of bit 0, -1 on the lattice of bit 1 (half a step away).
    votes = np.cos(2 * np.pi * (values - _DITHER) / STEP)
    sums = np.bincount(_BIT_OF_SLOT, weights=votes, minlength=PAYLOAD_BITS)
    bits = (sums < 0).astype(np.int64)
    confidence = float(np.mean(bits == _payload()))
    return Detection(watermarked=confidence >= THRESHOLD, confidence=confidence)


def detect_frames(frames: Sequence[Image]) -> Detection:
    """A video is marked when its best frame is (re-encoding may blur some frames more than others)."""
    detections = [detect(frame) for frame in frames]
    if not detections:
        return Detection(watermarked=False, confidence=0.0)
    return max(detections, key=lambda d: d.confidence)


def false_positive_probability() -> float:
    """P(an unmarked image reaches THRESHOLD) when its bits behave like fair coins: ~5.0e-8."""
    need = round(THRESHOLD * PAYLOAD_BITS)
    return sum(comb(PAYLOAD_BITS, k) for k in range(need, PAYLOAD_BITS + 1)) / float(1 << PAYLOAD_BITS)
