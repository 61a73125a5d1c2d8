"""What differs between Titan Image Generator v1, v2 and Nova Canvas: tasks, limits and defaults."""

from __future__ import annotations

from dataclasses import dataclass

from outcrop.tasks.imaging import ImageLimits

TITAN_SIZES: frozenset[tuple[int, int]] = frozenset(
    {
        (1024, 1024), (768, 768), (512, 512), (768, 1152), (384, 576), (1152, 768), (576, 384),
        (768, 1280), (384, 640), (1280, 768), (640, 384), (896, 1152), (448, 576), (1152, 896),
        (576, 448), (768, 1408), (384, 704), (1408, 768), (704, 384), (640, 1408), (320, 704),
        (1408, 640), (704, 320), (1152, 640), (1173, 640),
    }
)  # fmt: skip

NOVA_MAX_PIXELS = 4_194_304


@dataclass(frozen=True)
class ImageFamily:
    label: str
    task_types: tuple[str, ...]
    text_max: int
    seed_max: int
    default_cfg: float
    default_seed: int
    conditioning: bool
    styles: bool
    image_limits: ImageLimits
    allowed_sizes: frozenset[tuple[int, int]] | None  # None: Nova's arithmetic rule

    @property
    def nova_sizes(self) -> bool:
        return self.allowed_sizes is None


_TITAN_LIMITS = ImageLimits(max_side=1408, max_pixels=1408 * 1408)

TITAN_V1 = ImageFamily(
    label="amazon.titan-image-generator-v1",
    task_types=("TEXT_IMAGE", "INPAINTING", "OUTPAINTING", "IMAGE_VARIATION"),
    text_max=512,
    seed_max=2_147_483_646,
    default_cfg=8.0,
    default_seed=42,
    conditioning=False,
    styles=False,
    image_limits=_TITAN_LIMITS,
    allowed_sizes=TITAN_SIZES,
)

TITAN_V2 = ImageFamily(
    label="amazon.titan-image-generator-v2:0",
    task_types=(*TITAN_V1.task_types, "COLOR_GUIDED_GENERATION", "BACKGROUND_REMOVAL"),
    text_max=512,
    seed_max=2_147_483_646,
    default_cfg=8.0,
    default_seed=42,
    conditioning=True,
    styles=False,
    image_limits=_TITAN_LIMITS,
    allowed_sizes=TITAN_SIZES,
)

NOVA_CANVAS = ImageFamily(
    label="amazon.nova-canvas-v1:0",
    task_types=(*TITAN_V2.task_types, "VIRTUAL_TRY_ON"),
    text_max=1024,
    seed_max=858_993_459,
    default_cfg=6.5,
    default_seed=12,
    conditioning=True,
    styles=True,
    image_limits=ImageLimits(min_side=320, max_side=4096, max_pixels=NOVA_MAX_PIXELS),
    allowed_sizes=None,
)
