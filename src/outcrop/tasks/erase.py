"""Remove what a mask covers and fill the hole with the surrounding background (no prompt)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL.Image import Image

from outcrop.errors import ValidationError
from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.inpaint import MAX_GROW
from outcrop.tasks.kinds import TaskKind


@dataclass(frozen=True)
class EraseTask:
    """`mask` is mode 'L' the image's size, WHITE where to erase (grey = partly), as Stability AI and LaMa mark it.

    `grow_mask` widens the mask by that many pixels and feathers its edge. `config.seed` is used only by
    backends that sample (a diffusion fallback); LaMa-class erasers are deterministic.
    """

    image: Image
    mask: Image
    grow_mask: int = 0
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.ERASE

    def __post_init__(self) -> None:
        if self.mask.size != self.image.size:
            raise ValidationError(
                f"the mask is {self.mask.size[0]}x{self.mask.size[1]} but the image is "
                f"{self.image.size[0]}x{self.image.size[1]}; send a mask the same size as the image."
            )
        if not 0 <= self.grow_mask <= MAX_GROW:
            raise ValidationError(f"grow_mask is {self.grow_mask}; send 0 to {MAX_GROW} pixels.")
