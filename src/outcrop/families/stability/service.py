"""What the control, style and upscale services share beyond `common.py`: the output size an input image implies,
optional text, and the WireFamily around a parser whose Task carries the seed actually used."""

from __future__ import annotations

from collections.abc import Callable

from PIL.Image import Image

from outcrop.catalog.model import Family, ModelEntry
from outcrop.errors import ModelError
from outcrop.families.base import Body, Json, WireFamily
from outcrop.families.stability.common import encode_reply, seed_of
from outcrop.tasks import ControlImageTask, StyleGuideTask, StyleTransferTask, Task, UpscaleTask
from outcrop.tasks.generation import GenerationConfig

MEGAPIXEL = 1024 * 1024  # the control and style services' output: about one megapixel
MULTIPLE = 64  # Stable Diffusion's UNet needs sides in whole latent blocks
# The control and style services take no guidance input; 7.0 is a common Stable Diffusion 1.x scale for them.
GUIDED_CFG_SCALE = 7.0

Parser = Callable[[Body], Task]


def size_like(image: Image, pixels: int = MEGAPIXEL, multiple: int = MULTIPLE) -> tuple[int, int]:
    """About `pixels` in `image`'s aspect ratio, each side a multiple of `multiple`."""
    width, height = image.size
    scale = (pixels / (width * height)) ** 0.5
    return _round(width * scale, multiple), _round(height * scale, multiple)


def _round(value: float, multiple: int) -> int:
    return max(multiple, round(value / multiple) * multiple)


def guided_config(body: Body, width: int, height: int) -> GenerationConfig:
    """The generation settings of a control or style service: its seed (0: picked), the output size, the fixed
    guidance scale."""
    return GenerationConfig(cfg_scale=GUIDED_CFG_SCALE, seed=seed_of(body), width=width, height=height)


def text(body: Body, key: str) -> str | None:
    """An optional text field; an empty string means none, as the services treat it."""
    value = body.get(key)
    return str(value) if value else None


def seed_used(task: Task) -> int:
    if isinstance(task, ControlImageTask | StyleGuideTask | StyleTransferTask):
        return task.config.seed
    if isinstance(task, UpscaleTask):
        return task.seed
    raise ModelError(f"a Stability image service parsed its body into {type(task).__name__}.")


def wire(family: Family, parse: Parser) -> WireFamily:
    def parse_invoke(entry: ModelEntry, body: Body) -> Task:
        return parse(body)

    def encode_invoke(entry: ModelEntry, task: Task, result: object, body: Body) -> Json:
        return encode_reply(result, seed_used(task), str(body.get("output_format", "png")))

    return WireFamily(family, parse_invoke, encode_invoke)
