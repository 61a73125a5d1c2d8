"""Image decoding, checking and encoding, written once for every task and wire format.

Images are checked from their header before any pixel is decoded, so an oversized or malformed upload is
refused before it costs memory or reaches a model.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import warnings
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from PIL.Image import Image

from outcrop.errors import ValidationError

ACCEPTED_FORMATS = frozenset({"PNG", "JPEG"})

# What Pillow raises on crafted files: OSError (truncated data, unidentified), ValueError (a compressed chunk past
# its limit), SyntaxError (a broken chunk or EXIF block), struct/zlib errors and the rest from its parsers, and the
# decompression-bomb checks. Never a bare Exception: a bug in Outcrop must stay a 500.
_DECODE_ERRORS = (
    OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError, struct.error, zlib.error,
    PILImage.DecompressionBombWarning, PILImage.DecompressionBombError,
)  # fmt: skip
_COLOUR_SPACE_MODES = frozenset({"CMYK", "YCbCr", "LAB", "HSV"})


@dataclass(frozen=True)
class ImageLimits:
    """What a model accepts for one image field."""

    max_bytes: int = 25_000_000
    min_side: int = 1
    max_side: int = 4096
    max_pixels: int = 4_194_304
    formats: frozenset[str] = ACCEPTED_FORMATS


def decode_base64(data: str, field: str) -> bytes:
    """Strict base64 (no `data:` URI prefix, no stray characters)."""
    if data.startswith("data:"):
        raise ValidationError(f"{field} must be bare base64 of the image bytes; remove the 'data:...;base64,' prefix.")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(f"{field} is not valid base64 ({exc}); send the image bytes base64-encoded.") from exc


def open_image(raw: bytes, field: str, limits: ImageLimits) -> Image:
    """Decode image bytes after checking size, format and dimensions from the header.

    Whatever Pillow raises on a crafted file (a truncated stream, a compressed chunk past its limits, a broken
    EXIF block) becomes a ValidationError; the image returned is upright, fully decoded and in a mode PNG can hold.
    """
    if len(raw) == 0:
        raise ValidationError(f"{field} is empty; send a PNG or JPEG image.")
    if len(raw) > limits.max_bytes:
        raise ValidationError(f"{field} is {len(raw):,} bytes; the limit is {limits.max_bytes:,} bytes.")
    image = _open_header(raw, field, limits)
    _check_dimensions(image.size, field, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "palette images with transparency in bytes": not the caller's fault
            decoded = _upright(_loaded(image))
    except _DECODE_ERRORS as exc:
        raise ValidationError(
            f"{field} could not be decoded ({_reason(exc)}); send an intact {image.format} image."
        ) from exc
    decoded.format = image.format  # transposing or converting drops it; callers compare it with what was declared
    return decoded


def _loaded(image: Image) -> Image:
    """Decode the pixels (and the chunks after them); modes PNG cannot hold (CMYK, YCbCr, LAB JPEGs) become RGB."""
    image.load()
    return image.convert("RGB") if image.mode in _COLOUR_SPACE_MODES else image


def _upright(image: Image) -> Image:
    """Apply the EXIF orientation tag (phone photos), so pixels are as every viewer shows them."""
    if image.getexif().get(0x0112, 1) == 1:
        return image
    return ImageOps.exif_transpose(image)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "no known image header"  # Pillow's own message names a Python object, not the problem
    return str(exc) or type(exc).__name__


def decode_image(data: str, field: str, limits: ImageLimits) -> Image:
    """Base64 text -> checked, decoded PIL image."""
    return open_image(decode_base64(data, field), field, limits)


def _open_header(raw: bytes, field: str, limits: ImageLimits) -> Image:
    allowed = " or ".join(sorted(limits.formats))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            image = PILImage.open(io.BytesIO(raw), formats=None)
    except (PILImage.DecompressionBombWarning, PILImage.DecompressionBombError) as exc:
        raise ValidationError(
            f"{field} declares more pixels than any model here accepts ({exc}); send at most "
            f"{limits.max_pixels:,} pixels, {limits.max_side} on the longer side."
        ) from exc
    except _DECODE_ERRORS as exc:
        raise ValidationError(f"{field} is not a readable image ({_reason(exc)}); send {allowed}.") from exc
    if image.format not in limits.formats:
        raise ValidationError(f"{field} is {image.format}; send {allowed}.")
    return image


def _check_dimensions(size: tuple[int, int], field: str, limits: ImageLimits) -> None:
    width, height = size
    if min(width, height) < limits.min_side:
        raise ValidationError(f"{field} is {width}x{height}; each side must be at least {limits.min_side} pixels.")
    if max(width, height) > limits.max_side:
        raise ValidationError(f"{field} is {width}x{height}; the longer side must be at most {limits.max_side} pixels.")
    if width * height > limits.max_pixels:
        raise ValidationError(
            f"{field} is {width}x{height} ({width * height:,} pixels); send at most {limits.max_pixels:,} pixels."
        )


def binary_mask(mask: Image, image: Image, field: str) -> Image:
    """A pure black/white mask the size of `image`, as mode 'L' (0 = black, 255 = white)."""
    if mask.size != image.size:
        raise ValidationError(
            f"{field} is {mask.size[0]}x{mask.size[1]} but the image is {image.size[0]}x{image.size[1]}; "
            "send a mask the same size as the image."
        )
    rgb = np.asarray(mask.convert("RGB"))
    black = np.all(rgb == 0, axis=-1)
    white = np.all(rgb == 255, axis=-1)
    if not np.all(black | white):
        bad = int(np.count_nonzero(~(black | white)))
        raise ValidationError(
            f"{field} has {bad:,} pixels that are neither pure black (0,0,0) nor pure white (255,255,255); "
            "send a mask with only those two colours."
        )
    return PILImage.fromarray(np.where(white, 255, 0).astype(np.uint8), mode="L")


# Integer modes wider than 8 bits; PIL's convert("RGB") clips them at 255 (a 16-bit grey PNG turns white).
_WIDE_INTEGER_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


def to_rgb(image: Image, *, over_white: bool = True) -> Image:
    """8-bit RGB from any mode: 16-bit samples scaled (65535 / 257 == 255) rather than clipped, and, with
    `over_white`, transparent pixels laid on white (the colour hidden under alpha 0 is often garbage, and white is
    the usual backdrop of cut-out product shots). Without it, alpha is dropped and the hidden colours kept."""
    if image.mode in _WIDE_INTEGER_MODES:
        narrow = np.clip(np.asarray(image, dtype=np.float64) / 257.0, 0, 255).round().astype(np.uint8)
        return PILImage.fromarray(narrow).convert("RGB")
    if over_white and ("A" in image.getbands() or "transparency" in image.info):
        white = PILImage.new("RGBA", image.size, (255, 255, 255, 255))
        return PILImage.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def encode_png(image: Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def encode_png_base64(image: Image) -> str:
    return base64.b64encode(encode_png(image)).decode("ascii")
