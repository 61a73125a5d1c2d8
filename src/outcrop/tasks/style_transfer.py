"""Redraw an image in the style of another."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL.Image import Image

from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind


@dataclass(frozen=True)
class StyleTransferTask:
    """`init_image` is redrawn in `style_image`'s style.

    `style_strength` (0-1): how much of the style to apply. `composition_fidelity` (0-1): how closely the output
    keeps `init_image`'s layout. `change_strength` (0.1-1): how far the output may move from `init_image`.
    """

    init_image: Image
    style_image: Image
    prompt: str | None = None
    negative_prompt: str | None = None
    style_strength: float = 1.0
    composition_fidelity: float = 0.9
    change_strength: float = 0.9
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.STYLE_TRANSFER
