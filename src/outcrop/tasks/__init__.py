"""Validated, plain-Python descriptions of work: no web framework, no torch."""

from __future__ import annotations

from outcrop.tasks.color_guided import ColorGuidedTask
from outcrop.tasks.converse import ConverseTask
from outcrop.tasks.embed import EmbedBatchTask, EmbedTask
from outcrop.tasks.image_variation import ImageVariationTask
from outcrop.tasks.inpaint import InpaintTask
from outcrop.tasks.kinds import TaskKind
from outcrop.tasks.outpaint import OutpaintTask
from outcrop.tasks.remove_background import RemoveBackgroundTask
from outcrop.tasks.text_to_image import TextToImageTask
from outcrop.tasks.text_to_video import TextToVideoTask
from outcrop.tasks.virtual_try_on import VirtualTryOnTask

Task = (
    EmbedTask
    | EmbedBatchTask
    | TextToImageTask
    | ImageVariationTask
    | InpaintTask
    | OutpaintTask
    | ColorGuidedTask
    | RemoveBackgroundTask
    | TextToVideoTask
    | VirtualTryOnTask
    | ConverseTask
)

__all__ = [
    "ColorGuidedTask",
    "ConverseTask",
    "EmbedBatchTask",
    "EmbedTask",
    "ImageVariationTask",
    "InpaintTask",
    "OutpaintTask",
    "RemoveBackgroundTask",
    "Task",
    "TaskKind",
    "TextToImageTask",
    "TextToVideoTask",
    "VirtualTryOnTask",
]
