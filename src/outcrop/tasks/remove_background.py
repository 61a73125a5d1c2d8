"""Cut the main subject out of a photo: the result is RGBA, alpha taken from a segmentation mask."""

from __future__ import annotations

from dataclasses import dataclass

from PIL.Image import Image

from outcrop.tasks.kinds import TaskKind


@dataclass(frozen=True)
class RemoveBackgroundTask:
    image: Image
    kind: TaskKind = TaskKind.REMOVE_BACKGROUND
