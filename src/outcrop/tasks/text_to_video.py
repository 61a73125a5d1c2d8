"""Generate a video from one or more shots, each a prompt and an optional first frame."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PIL.Image import Image

from outcrop.tasks.kinds import TaskKind

SHOT_SECONDS = 6


class VideoMode(StrEnum):
    SINGLE_SHOT = "TEXT_VIDEO"
    MULTI_SHOT_AUTOMATED = "MULTI_SHOT_AUTOMATED"
    MULTI_SHOT_MANUAL = "MULTI_SHOT_MANUAL"


@dataclass(frozen=True)
class VideoShot:
    prompt: str
    image: Image | None = None


@dataclass(frozen=True)
class TextToVideoTask:
    """For MULTI_SHOT_AUTOMATED, `shots` holds the one long prompt; the backend splits it."""

    shots: tuple[VideoShot, ...]
    duration_seconds: int = SHOT_SECONDS
    fps: int = 24
    width: int = 1280
    height: int = 720
    seed: int = 42
    mode: VideoMode = VideoMode.SINGLE_SHOT
    kind: TaskKind = TaskKind.TEXT_TO_VIDEO
