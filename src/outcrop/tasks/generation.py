"""Settings and results shared by every image-generating task."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from PIL.Image import Image


class Quality(StrEnum):
    STANDARD = "standard"
    PREMIUM = "premium"


@dataclass(frozen=True)
class GenerationConfig:
    """How many images, of what size, from which seed; validated ranges are the wire layer's job."""

    number_of_images: int = 1
    quality: Quality = Quality.STANDARD
    cfg_scale: float = 6.5
    seed: int = 42
    width: int = 1024
    height: int = 1024


@dataclass(frozen=True)
class ImagesResult:
    """Images a task produced, plus masks when asked for and a count of outputs a filter withheld."""

    images: list[Image]
    masks: list[Image] = field(default_factory=list)
    blocked: int = 0
    pngs: list[bytes] = field(default_factory=list)  # final encoded files (watermarked, signed), when made
    review_ids: list[str] = field(default_factory=list)  # the review queue's asset ids for `pngs`, when held
