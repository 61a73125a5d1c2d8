"""Stable Image Search and Replace (`stability.stable-image-search-replace-v1:0`): find what `search_prompt`
names (the text-to-mask model) and repaint it as the prompt says."""

from __future__ import annotations

from outcrop.catalog.model import Family, ModelEntry
from outcrop.families.base import Body, WireFamily
from outcrop.families.schema import check, obj
from outcrop.families.stability import common
from outcrop.tasks import InpaintTask, Task


def schema(search_key: str) -> dict[str, object]:
    """Search-and-replace's body; search-and-recolor's is the same with `select_prompt` as the search key."""
    return obj(
        {
            "prompt": common.OPTIONAL_PROMPT,
            "image": common.IMAGE,
            # No minimum on the page; an empty phrase names nothing to find, so at least one character.
            search_key: common.PROMPT,
            "negative_prompt": common.NEGATIVE_PROMPT,
            "seed": common.SEED,
            "output_format": common.OUTPUT_FORMAT,
            "style_preset": common.STYLE_PRESET,
            "grow_mask": common.GROW_MASK,
        },
        required=("prompt", "image", search_key),
    )


SCHEMA = schema("search_prompt")


def text_masked(body: Body, search_key: str) -> InpaintTask:
    """Inpainting where the text-to-mask model finds `body[search_key]`, following the (styled) prompt."""
    image = common.input_image(body, "image")
    return InpaintTask(
        image=image,
        mask_prompt=str(body[search_key]),
        prompt=common.styled(str(body["prompt"]), body),
        negative_prompt=body.get("negative_prompt") or None,
        grow_mask=int(body.get("grow_mask", common.DEFAULT_GROW_MASK)),
        config=common.config_for(body, image.size),
    )


def parse(entry: ModelEntry, body: Body) -> Task:
    check(body, SCHEMA)
    return text_masked(body, "search_prompt")


FAMILY = WireFamily(Family.STABILITY_SEARCH_REPLACE, parse, common.encode_invoke)
