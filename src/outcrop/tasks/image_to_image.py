"""A new image from a prompt and a starting image; `strength` says how far from the image it may go."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL.Image import Image

from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind


@dataclass(frozen=True)
class ImageToImageTask:
    """`strength` 0 returns the image itself, 1 ignores it; the output has `config`'s width and height."""

    image: Image
    prompt: str
    negative_prompt: str | None = None
    strength: float = 0.7
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.IMAGE_TO_IMAGE
