"""Generate images whose palette follows 1-10 hex colours, optionally near a reference image."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL.Image import Image

from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind


@dataclass(frozen=True)
class ColorGuidedTask:
    prompt: str
    colors: tuple[str, ...]
    negative_prompt: str | None = None
    reference_image: Image | None = None
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.COLOR_GUIDED

    def rgb(self) -> list[tuple[int, int, int]]:
        """The palette as (r, g, b) triples."""
        return [(int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)) for c in self.colors]
