"""A model's rules applied to an image Task built by any door (native REST, OpenAI-compatible API, CLI, UI).

The Bedrock wire checks its JSON against the family's schema first, for Bedrock's exact messages; these checks
state the same limits on the typed Task, so a door that never had a Bedrock body validates without building one.
"""

from __future__ import annotations

import dataclasses
import re

from outcrop.errors import ValidationError
from outcrop.families.amazon_image.body import check_size
from outcrop.families.amazon_image.limits import ImageFamily
from outcrop.families.amazon_image.schema import HEX_COLOR
from outcrop.tasks import ColorGuidedTask, InpaintTask, OutpaintTask, Task, TaskKind, TextToImageTask
from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.imaging import binary_mask

TASK_TYPES: dict[TaskKind, str] = {
    TaskKind.TEXT_TO_IMAGE: "TEXT_IMAGE",
    TaskKind.IMAGE_VARIATION: "IMAGE_VARIATION",
    TaskKind.INPAINT: "INPAINTING",
    TaskKind.OUTPAINT: "OUTPAINTING",
    TaskKind.COLOR_GUIDED: "COLOR_GUIDED_GENERATION",
    TaskKind.REMOVE_BACKGROUND: "BACKGROUND_REMOVAL",
    TaskKind.VIRTUAL_TRY_ON: "VIRTUAL_TRY_ON",
}
_TEXT_FIELDS = ("prompt", "negative_prompt", "mask_prompt")


def supports(family: ImageFamily, kind: TaskKind) -> bool:
    return TASK_TYPES.get(kind) in family.task_types


def check_task(task: Task, family: ImageFamily) -> Task:
    """`task` if `family` accepts it, with masks made binary and colours upper-cased; else ValidationError."""
    if not supports(family, task.kind):
        raise ValidationError(f"{family.label} does not do {task.kind}; send it to amazon.nova-canvas-v1:0.")
    config = getattr(task, "config", None)
    if isinstance(config, GenerationConfig):
        check_config(config, family)
    _check_texts(task, family)
    if isinstance(task, InpaintTask | OutpaintTask):
        return _with_binary_mask(task)
    if isinstance(task, ColorGuidedTask):
        return _with_checked_colors(task)
    if isinstance(task, TextToImageTask):
        _check_text_to_image(task, family)
    return task


def check_config(config: GenerationConfig, family: ImageFamily) -> None:
    _within("numberOfImages", config.number_of_images, 1, 5)
    _within("cfgScale", config.cfg_scale, 1.1, 10.0)
    _within("seed", config.seed, 0, family.seed_max)
    if family.nova_sizes:
        for name, side in (("width", config.width), ("height", config.height)):
            _within(name, side, 320, 4096)
            if side % 16:
                raise ValidationError(f"{name} {side} is not a multiple of 16; send e.g. {side // 16 * 16}.")
    check_size(config.width, config.height, family)


def _within(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValidationError(f"{name} is {value}; send a value from {low} to {high}.")


def _check_texts(task: Task, family: ImageFamily) -> None:
    for name in _TEXT_FIELDS:
        text = getattr(task, name, None)
        if text is not None and len(text) > family.text_max:
            limit = family.text_max
            raise ValidationError(f"{name} is {len(text):,} characters; {family.label} accepts at most {limit}.")


def _with_binary_mask(task: InpaintTask | OutpaintTask) -> Task:
    if (task.mask is None) == (task.mask_prompt is None):
        raise ValidationError(
            "Send exactly one of maskPrompt (text naming the region) or mask (a black/white image the size of image)."
        )
    if task.mask is None:
        return task
    return dataclasses.replace(task, mask=binary_mask(task.mask, task.image, "mask"))


def _with_checked_colors(task: ColorGuidedTask) -> Task:
    bad = [c for c in task.colors if not re.fullmatch(HEX_COLOR, c)]
    if bad:
        raise ValidationError(f"colors {', '.join(bad)} are not hex colours; send them as #RRGGBB, e.g. #FF8800.")
    return dataclasses.replace(task, colors=tuple(c.upper() for c in task.colors))


def _check_text_to_image(task: TextToImageTask, family: ImageFamily) -> None:
    if task.conditioning is not None and not family.conditioning:
        raise ValidationError(f"{family.label} does not take a conditioning image; remove conditioning.")
    if task.style is not None and not family.styles:
        raise ValidationError(f"{family.label} does not take a style; remove style.")
