"""The diffusion upscale backend (Conservative and Creative Upscale) on its tiny seeded Stable Diffusion x4
Upscaler: the task's exact size, creativity as noise level, seeds, and golden values per mode."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from outcrop.backends import sd_upscale
from outcrop.backends.base import LoadSpec, no_progress
from outcrop.tasks import UpscaleTask
from outcrop.tasks.upscale import UpscaleMode


@pytest.fixture(scope="module")
def backend():
    loaded = sd_upscale.load(LoadSpec(weights="tiny-sd-upscaler", weights_dir=None, threads=1))
    yield loaded
    loaded.close()


def photo() -> Image.Image:
    return Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 96, 3), dtype=np.uint8))


def task(mode: UpscaleMode, creativity: float = 0.3, seed: int = 7) -> UpscaleTask:
    return UpscaleTask(image=photo(), mode=mode, width=300, height=200, prompt="a harbour", creativity=creativity,
                       seed=seed)  # fmt: skip


def digest(image: Image.Image) -> str:
    return hashlib.sha256(image.tobytes()).hexdigest()[:16]


def test_noise_level_follows_creativity_per_mode():
    assert sd_upscale.noise_level(UpscaleMode.CONSERVATIVE, 0.2) == 20
    assert sd_upscale.noise_level(UpscaleMode.CONSERVATIVE, 0.5) == 50
    assert sd_upscale.noise_level(UpscaleMode.CREATIVE, 0.1) == 70
    assert sd_upscale.noise_level(UpscaleMode.CREATIVE, 0.5) == 350


def test_the_working_input_is_a_quarter_of_the_output_within_max_pixels():
    assert sd_upscale.working_size(2048, 2048, 512 * 512) == (512, 512)
    assert sd_upscale.working_size(2048, 1024, 64 * 64) == (88, 48)  # capped, aspect kept, multiples of 8
    assert sd_upscale.working_size(256, 128, 512 * 512) == (64, 32)


@pytest.mark.parametrize("mode", [UpscaleMode.CONSERVATIVE, UpscaleMode.CREATIVE])
def test_the_output_has_the_task_size_and_golden_pixels(backend, mode):
    (out,) = backend.run(task(mode), no_progress).images
    assert out.size == (300, 200) and out.mode == "RGB"
    assert np.asarray(out).std() > 0
    # Golden values: seeded weights, seed 7, creativity 0.3; a refactor that changes pixels fails here.
    assert digest(out) == GOLDEN[mode]


GOLDEN = {UpscaleMode.CONSERVATIVE: "bc0778617ab82db8", UpscaleMode.CREATIVE: "c126c6bc158e839d"}


def test_creativity_and_seed_change_the_output(backend):
    base = digest(backend.run(task(UpscaleMode.CREATIVE), no_progress).images[0])
    assert digest(backend.run(task(UpscaleMode.CREATIVE, creativity=0.5), no_progress).images[0]) != base
    assert digest(backend.run(task(UpscaleMode.CREATIVE, seed=8), no_progress).images[0]) != base
    assert digest(backend.run(task(UpscaleMode.CREATIVE), no_progress).images[0]) == base


def test_progress_reaches_one(backend):
    seen: list[float] = []
    backend.run(task(UpscaleMode.CONSERVATIVE), seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0
