"""Generate an image whose layout follows a control image: a sketch's lines or a picture's structure."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from PIL.Image import Image

from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind


class ControlKind(StrEnum):
    """What the control image is: a drawing whose lines to follow, or a picture whose edges to keep."""

    SKETCH = "SKETCH"
    STRUCTURE = "STRUCTURE"


@dataclass(frozen=True)
class ControlImageTask:
    """`strength` 0 ignores the control image, 1 follows it as closely as the model was trained to."""

    prompt: str
    image: Image
    control: ControlKind
    strength: float = 0.7
    negative_prompt: str | None = None
    style_preset: str | None = None
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.CONTROL_IMAGE
