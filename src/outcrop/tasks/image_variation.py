"""New images that stay close to 1-5 reference images; similarity 1.0 keeps closest to them."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL.Image import Image

from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind


@dataclass(frozen=True)
class ImageVariationTask:
    images: tuple[Image, ...]
    prompt: str | None = None
    negative_prompt: str | None = None
    similarity_strength: float = 0.7
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.IMAGE_VARIATION
