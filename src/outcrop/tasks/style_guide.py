"""Generate an image from a prompt in the style of a reference image."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL.Image import Image

from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind


@dataclass(frozen=True)
class StyleGuideTask:
    """`fidelity` 0 leaves the style to the prompt, 1 follows the reference image's style as closely as possible."""

    prompt: str
    image: Image
    fidelity: float = 0.5
    negative_prompt: str | None = None
    style_preset: str | None = None
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.STYLE_GUIDE
