"""The super-resolution backend (Fast Upscale) on its tiny seeded RRDBNet: exact 4x output, tiles that match one
pass, the task's size honoured, a golden value; and, where spandrel is installed, the tiny net read back by
spandrel as Real-ESRGAN's architecture."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from outcrop.backends import superres, superres_tiny
from outcrop.backends.base import LoadSpec, no_progress
from outcrop.tasks import UpscaleTask
from outcrop.tasks.upscale import UpscaleMode


@pytest.fixture(scope="module")
def backend():
    loaded = superres.load(LoadSpec(weights="tiny-superres", weights_dir=None, threads=1))
    yield loaded
    loaded.close()


def photo(width: int = 80, height: int = 48) -> Image.Image:
    return Image.fromarray(np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8))


def fast(image: Image.Image, scale: int = 4) -> UpscaleTask:
    return UpscaleTask(image=image, mode=UpscaleMode.FAST, width=scale * image.width, height=scale * image.height)


def test_the_output_is_four_times_the_input(backend):
    (out,) = backend.run(fast(photo()), no_progress).images
    assert out.size == (320, 192) and out.mode == "RGB"
    pixels = np.asarray(out)
    assert pixels.std() > 0 and 0 < pixels.mean() < 255


def test_tiles_give_the_pixels_of_one_pass(backend):
    # 32-pixel tiles with 4 pixels of context each side; the whole image at once is the reference.
    whole = superres.SuperResBackend(backend._model, superres_tiny.SCALE, tile=10_000, overlap=0)
    tiled = np.asarray(backend.upscale(photo(), no_progress)).astype(int)
    reference = np.asarray(whole.upscale(photo(), no_progress)).astype(int)
    assert np.abs(tiled - reference).max() <= 1  # float summation order only


def test_other_inputs_give_other_outputs(backend):
    (first,) = backend.run(fast(photo()), no_progress).images
    (second,) = backend.run(fast(photo().transpose(Image.Transpose.FLIP_LEFT_RIGHT)), no_progress).images
    assert first.tobytes() != second.tobytes()


def test_a_task_size_other_than_the_scale_is_resized_to(backend):
    task = UpscaleTask(image=photo(), mode=UpscaleMode.FAST, width=100, height=60)
    assert backend.run(task, no_progress).images[0].size == (100, 60)


def test_progress_reaches_one(backend):
    seen: list[float] = []
    backend.run(fast(photo()), seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 6  # 3 x 2 tiles of 32 px


def test_tiles_cover_the_image_once():
    boxes = superres.tiles(70, 33, 32)
    covered = np.zeros((33, 70), dtype=int)
    for x0, y0, x1, y1 in boxes:
        covered[y0:y1, x0:x1] += 1
    assert (covered == 1).all()


def test_golden(backend):
    (out,) = backend.run(fast(photo()), no_progress).images
    # Golden value: the seeded weights and the tiling are fixed; a refactor that changes pixels fails here.
    assert hashlib.sha256(out.tobytes()).hexdigest()[:16] == GOLDEN


GOLDEN = "1754c6dd0ad90414"


def test_spandrel_reads_the_tiny_net_as_real_esrgan(backend, tmp_path):
    spandrel = pytest.importorskip("spandrel")  # needs torchvision; CI's `superres` extra installs it
    import torch

    torch.save(backend._model.state_dict(), tmp_path / "tiny.pth")
    descriptor = spandrel.ModelLoader().load_from_file(str(tmp_path / "tiny.pth"))
    assert descriptor.architecture.id == "ESRGAN" and descriptor.scale == 4
    loaded = superres.load(LoadSpec(weights="x", weights_dir=tmp_path, threads=1))
    (mine,) = backend.run(fast(photo()), no_progress).images
    assert loaded.run(fast(photo()), no_progress).images[0].tobytes() == mine.tobytes()
