"""Validated, plain-Python descriptions of work: no web framework, no torch."""

from __future__ import annotations

from outcrop.tasks.color_guided import ColorGuidedTask
from outcrop.tasks.control_image import ControlImageTask
from outcrop.tasks.converse import ConverseTask
from outcrop.tasks.embed import EmbedBatchTask, EmbedTask
from outcrop.tasks.erase import EraseTask
from outcrop.tasks.extend import ExtendTask
from outcrop.tasks.image_to_image import ImageToImageTask
from outcrop.tasks.image_variation import ImageVariationTask
from outcrop.tasks.inpaint import InpaintTask
from outcrop.tasks.kinds import TaskKind
from outcrop.tasks.outpaint import OutpaintTask
from outcrop.tasks.remove_background import RemoveBackgroundTask
from outcrop.tasks.style_guide import StyleGuideTask
from outcrop.tasks.style_transfer import StyleTransferTask
from outcrop.tasks.text_to_image import TextToImageTask
from outcrop.tasks.text_to_video import TextToVideoTask
from outcrop.tasks.upscale import UpscaleTask
from outcrop.tasks.virtual_try_on import VirtualTryOnTask

Task = (
    EmbedTask
    | EmbedBatchTask
    | TextToImageTask
    | ImageVariationTask
    | ImageToImageTask
    | InpaintTask
    | OutpaintTask
    | ExtendTask
    | EraseTask
    | ColorGuidedTask
    | RemoveBackgroundTask
    | TextToVideoTask
    | VirtualTryOnTask
    | ConverseTask
    | ControlImageTask
    | StyleGuideTask
    | StyleTransferTask
    | UpscaleTask
)

__all__ = [
    "ColorGuidedTask",
    "ControlImageTask",
    "ConverseTask",
    "EmbedBatchTask",
    "EmbedTask",
    "EraseTask",
    "ExtendTask",
    "ImageToImageTask",
    "ImageVariationTask",
    "InpaintTask",
    "OutpaintTask",
    "RemoveBackgroundTask",
    "StyleGuideTask",
    "StyleTransferTask",
    "Task",
    "TaskKind",
    "TextToImageTask",
    "TextToVideoTask",
    "UpscaleTask",
    "VirtualTryOnTask",
]
