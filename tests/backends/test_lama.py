"""LaMa erasing through spandrel: the tiny seeded model on the real code path (skipped where spandrel cannot be
imported: it needs a torchvision built for the installed torch)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from outcrop.backends import lama
from outcrop.backends.base import LoadSpec, no_progress
from outcrop.tasks import EraseTask
from outcrop.tasks.generation import GenerationConfig


@pytest.fixture(scope="module")
def tiny():
    pytest.importorskip("spandrel", reason="spandrel (and a torchvision matching torch) is not installed")
    return lama.load(LoadSpec(weights="tiny-lama", weights_dir=None, threads=1))


def photo(size: tuple[int, int] = (160, 120)) -> Image.Image:
    pixels = np.random.default_rng(9).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def box_mask(size: tuple[int, int], area: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    mask.paste(255, area)
    return mask


def test_the_tiny_model_is_spandrels_lama_at_toy_size(tiny):
    assert type(tiny._model.model).__name__ == "LaMa"
    assert tiny._model.purpose == "Inpainting"
    assert 0 < tiny.memory_bytes() < 1_000_000


def test_only_the_masked_region_changes(tiny):
    image = photo()
    task = EraseTask(image=image, mask=box_mask(image.size, (60, 40, 100, 80)), grow_mask=4)
    (out,) = tiny.run(task, no_progress).images
    before, after = np.asarray(image), np.asarray(out)
    assert out.size == image.size
    assert np.array_equal(before[:30], after[:30]) and np.array_equal(before[:, :50], after[:, :50])
    assert not np.array_equal(before[45:75, 65:95], after[45:75, 65:95])
    # Golden value: seeded weights, the crop-with-context and the resize chain are fixed.
    assert hashlib.sha256(after.tobytes()).hexdigest()[:16] == GOLDEN_ERASE


GOLDEN_ERASE = "08807775af7152e8"


def test_an_empty_mask_returns_the_image(tiny):
    image = photo()
    (out,) = tiny.run(EraseTask(image=image, mask=Image.new("L", image.size, 0)), no_progress).images
    assert np.array_equal(np.asarray(out), np.asarray(image))


def test_the_seed_does_not_change_an_erase(tiny):
    image = photo()
    mask = box_mask(image.size, (10, 10, 50, 50))
    first = tiny.run(EraseTask(image=image, mask=mask), no_progress).images[0]
    second = tiny.run(EraseTask(image=image, mask=mask, config=GenerationConfig(seed=99)), no_progress).images[0]
    assert np.array_equal(np.asarray(first), np.asarray(second))


def test_context_and_working_size():
    assert lama.with_context((50, 50, 60, 60), (100, 100)) == (18, 18, 92, 92)
    assert lama.with_context((0, 0, 100, 100), (100, 100)) == (0, 0, 100, 100)
    assert lama.working_size((4000, 2000), 2_000_000) == (2000, 1000)
    assert lama.working_size((100, 50), 2_000_000) == (100, 50)


def test_a_missing_checkpoint_says_how_to_install_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="outcrop models pull big-lama"):
        lama.load(LoadSpec(weights="big-lama", weights_dir=tmp_path))
