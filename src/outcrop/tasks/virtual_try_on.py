"""Put a garment from a reference image onto a person in a source image."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PIL.Image import Image

from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.kinds import TaskKind


@dataclass(frozen=True)
class VirtualTryOnTask:
    source_image: Image
    reference_image: Image
    mask_type: str
    mask_image: Image | None = None
    mask_prompt: str | None = None
    garment_class: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    return_mask: bool = False
    config: GenerationConfig = field(default_factory=GenerationConfig)
    kind: TaskKind = TaskKind.VIRTUAL_TRY_ON
