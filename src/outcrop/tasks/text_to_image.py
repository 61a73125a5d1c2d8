"""Generate images from a prompt, optionally conditioned on an edge or segmentation map."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from PIL.Image import Image

from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind


class ControlMode(StrEnum):
    CANNY_EDGE = "CANNY_EDGE"
    SEGMENTATION = "SEGMENTATION"


class Style(StrEnum):
    ANIMATED_FAMILY_FILM_3D = "3D_ANIMATED_FAMILY_FILM"
    DESIGN_SKETCH = "DESIGN_SKETCH"
    FLAT_VECTOR_ILLUSTRATION = "FLAT_VECTOR_ILLUSTRATION"
    GRAPHIC_NOVEL_ILLUSTRATION = "GRAPHIC_NOVEL_ILLUSTRATION"
    MAXIMALISM = "MAXIMALISM"
    MIDCENTURY_RETRO = "MIDCENTURY_RETRO"
    PHOTOREALISM = "PHOTOREALISM"
    SOFT_DIGITAL_PAINTING = "SOFT_DIGITAL_PAINTING"


@dataclass(frozen=True)
class Conditioning:
    image: Image
    mode: ControlMode = ControlMode.CANNY_EDGE
    strength: float = 0.7


@dataclass(frozen=True)
class TextToImageTask:
    prompt: str
    negative_prompt: str | None = None
    style: Style | None = None
    conditioning: Conditioning | None = None
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.TEXT_TO_IMAGE
