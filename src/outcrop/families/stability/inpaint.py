"""Stable Image Inpaint (`stability.stable-image-inpaint-v1:0`): repaint where a mask (or the image's alpha
channel) says, following the prompt."""

from __future__ import annotations

from PIL import ImageOps

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, WireFamily
from outcrop.families.schema import check, obj
from outcrop.families.stability import common
from outcrop.tasks import InpaintTask, Task

SCHEMA = obj(
    {
        "prompt": common.OPTIONAL_PROMPT,
        "image": common.IMAGE,
        "mask": common.IMAGE,
        "negative_prompt": common.NEGATIVE_PROMPT,
        "seed": common.SEED,
        "output_format": common.OUTPUT_FORMAT,
        "style_preset": common.STYLE_PRESET,
        "grow_mask": common.GROW_MASK,
    },
    required=("prompt", "image"),
)


def parse(entry: ModelEntry, body: Body) -> Task:
    check(body, SCHEMA)
    image = common.input_image(body, "image")
    strength = common.edit_mask(body, image, "inpaint")
    return InpaintTask(
        image=image,
        # InpaintTask marks what to change in black (Bedrock's convention); Stability AI marks it in white.
        mask=ImageOps.invert(strength),
        prompt=common.styled(str(body["prompt"]), body),
        negative_prompt=body.get("negative_prompt") or None,
        grow_mask=int(body.get("grow_mask", common.DEFAULT_GROW_MASK)),
        config=common.config_for(body, image.size),
    )


FAMILY = WireFamily(Family.STABILITY_INPAINT, parse, common.encode_invoke)
