"""Stable Image Outpaint (`stability.stable-outpaint-v1:0`): extend the canvas by `left`/`right`/`up`/`down`
pixels and paint the new border to continue the image."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, WireFamily
from outcrop.families.schema import check, integer, number, obj
from outcrop.families.stability import common
from outcrop.tasks import ExtendTask, Task
from outcrop.tasks.extend import MAX_MARGIN

MARGIN = integer(0, MAX_MARGIN)
SCHEMA = obj(
    {
        "image": common.IMAGE,
        "prompt": common.OPTIONAL_PROMPT,
        "style_preset": common.STYLE_PRESET,
        "seed": common.SEED,
        "output_format": common.OUTPUT_FORMAT,
        "creativity": number(0.1, 1.0),
        "left": MARGIN,
        "right": MARGIN,
        "up": MARGIN,
        "down": MARGIN,
    },
    required=("image",),
)


def parse(entry: ModelEntry, body: Body) -> Task:
    check(body, SCHEMA)
    image = common.input_image(body, "image")
    left, right, up, down = (int(body.get(side, 0)) for side in ("left", "right", "up", "down"))
    size = (image.width + left + right, image.height + up + down)
    return ExtendTask(
        image=image,
        left=left,
        right=right,
        up=up,
        down=down,
        prompt=common.styled(str(body.get("prompt", "")), body),
        creativity=float(body.get("creativity", 0.5)),
        config=common.config_for(body, size),
    )


FAMILY = WireFamily(Family.STABILITY_OUTPAINT, parse, common.encode_invoke)
