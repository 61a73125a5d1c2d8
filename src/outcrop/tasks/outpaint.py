"""Keep the masked region of an image and regenerate everything around it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from PIL.Image import Image

from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind


class OutpaintMode(StrEnum):
    DEFAULT = "DEFAULT"
    PRECISE = "PRECISE"


@dataclass(frozen=True)
class OutpaintTask:
    """Exactly one of mask (black = keep) or mask_prompt (text naming what to keep)."""

    image: Image
    prompt: str
    mask: Image | None = None
    mask_prompt: str | None = None
    negative_prompt: str | None = None
    mode: OutpaintMode = OutpaintMode.DEFAULT
    return_mask: bool = False
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.OUTPAINT
