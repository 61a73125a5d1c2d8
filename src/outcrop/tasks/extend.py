"""Extend an image's canvas by some pixels on each side and paint the new border to match (outpainting by
margins, as Stability AI's Outpaint takes it; OutpaintTask is the mask-based kind Titan and Nova Canvas use)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL.Image import Image

from outcrop.errors import ValidationError
from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind

MAX_MARGIN = 2000
# The extended canvas is bounded so one request cannot ask for a picture of ~50 megapixels (a 3072x3072 input
# with 2000 px on every side): 4096x4096 in all.
MAX_CANVAS_PIXELS = 4096 * 4096


@dataclass(frozen=True)
class ExtendTask:
    """`creativity` (0.1-1) is how far the new border may stray from a continuation of the image's edges."""

    image: Image
    left: int = 0
    right: int = 0
    up: int = 0
    down: int = 0
    prompt: str = ""
    negative_prompt: str | None = None
    creativity: float = 0.5
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.EXTEND

    def __post_init__(self) -> None:
        margins = (self.left, self.right, self.up, self.down)
        if any(not 0 <= margin <= MAX_MARGIN for margin in margins) or not any(margins):
            raise ValidationError(
                f"left, right, up and down are {margins}; send 0 to {MAX_MARGIN} pixels each, at least one above 0."
            )
        if not 0.1 <= self.creativity <= 1.0:
            raise ValidationError(f"creativity is {self.creativity}; send a number from 0.1 to 1.0.")
        width, height = self.size
        if width * height > MAX_CANVAS_PIXELS:
            raise ValidationError(
                f"the extended image would be {width}x{height} ({width * height:,} pixels); Outcrop extends to at "
                f"most {MAX_CANVAS_PIXELS:,} pixels, so send smaller left/right/up/down or a smaller image."
            )

    @property
    def size(self) -> tuple[int, int]:
        """The output's width and height."""
        width, height = self.image.size
        return width + self.left + self.right, height + self.up + self.down
