"""Titan Image / Nova Canvas responses: `{"images": [...], "error": ...}` plus `maskImage` when asked for."""

from __future__ import annotations

import base64
from typing import Any

from outcrop.errors import ModelError
from outcrop.tasks.generation import ImagesResult
from outcrop.tasks.imaging import encode_png_base64

ALL_OUTPUTS_BLOCKED = "All of the generated images have been blocked by our content filters."
SOME_OUTPUTS_BLOCKED = "Some of the generated images have been blocked by our content filters."


def outputs_message(kept: int, blocked: int) -> str | None:
    """Nova Canvas's `error` field for a response some or all of whose images were withheld."""
    if blocked == 0:
        return None
    return ALL_OUTPUTS_BLOCKED if kept == 0 else SOME_OUTPUTS_BLOCKED


def base64_images(result: ImagesResult) -> list[str]:
    """The released images as base64 PNGs: the signed files themselves when there are any (re-encoding would drop
    their provenance chunks)."""
    if result.pngs:
        return [base64.b64encode(png).decode("ascii") for png in result.pngs]
    return [encode_png_base64(image) for image in result.images]


def encode_images(result: object) -> dict[str, Any]:
    if not isinstance(result, ImagesResult):
        raise ModelError(f"An image model returned {type(result).__name__} instead of images.")
    body: dict[str, Any] = {
        "images": base64_images(result),
        "error": outputs_message(len(result.images), result.blocked),
    }
    if result.masks:
        body["maskImage"] = encode_png_base64(result.masks[0])
    return body
