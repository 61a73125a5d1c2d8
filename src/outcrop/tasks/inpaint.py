"""Change only the masked region of an image; with no prompt, fill it with background."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL.Image import Image

from outcrop.errors import ValidationError
from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind

MAX_GROW = 20


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
    # Pixels to widen the changed region by, its edge feathered (Stability AI's grow_mask); 0 keeps the mask as is.
    grow_mask: int = 0
    kind: TaskKind = TaskKind.INPAINT

    def __post_init__(self) -> None:
        if not 0 <= self.grow_mask <= MAX_GROW:
            raise ValidationError(f"grow_mask is {self.grow_mask}; send 0 to {MAX_GROW} pixels.")
