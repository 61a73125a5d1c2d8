"""Make an image larger: by super-resolution alone, or re-imagined by a diffusion upscaler."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PIL.Image import Image

from outcrop.tasks.kinds import TaskKind


class UpscaleMode(StrEnum):
    """FAST: super-resolution, no prompt. CONSERVATIVE: keep the input's details, add little. CREATIVE: re-imagine
    detail from the prompt (for degraded inputs)."""

    FAST = "FAST"
    CONSERVATIVE = "CONSERVATIVE"
    CREATIVE = "CREATIVE"


@dataclass(frozen=True)
class UpscaleTask:
    """`width` x `height` is the output size, decided by the wire layer; `creativity` (0-1) is how much detail the
    model may invent (unused by FAST)."""

    image: Image
    mode: UpscaleMode
    width: int
    height: int
    prompt: str | None = None
    negative_prompt: str | None = None
    creativity: float = 0.3
    style_preset: str | None = None
    seed: int = 0
    kind: TaskKind = TaskKind.UPSCALE
