"""Change only the masked region of an image; with no prompt, fill it with background."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL.Image import Image

from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind


@dataclass(frozen=True)
class InpaintTask:
    """Exactly one of mask (black = change) or mask_prompt (text naming what to change)."""

    image: Image
    mask: Image | None = None
    mask_prompt: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    return_mask: bool = False
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.INPAINT
