"""The LTX-Video backend on the tiny seeded LTXConditionPipeline: every path through the real diffusers code.

The tiny model's weights are random, so its frames are noise: these tests check what the backend promises (sizes,
frame counts, seeds, keyframes that condition the model and anchor their frames, loops, progress) and pin the
output with golden values, never video quality.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from outcrop.backends import ltx_video_tiny, registry
from outcrop.backends.base import LoadSpec, no_progress
from outcrop.backends.ltx_video import LtxVideoBackend, frame_count, generation_size, load
from outcrop.catalog import load_catalog
from outcrop.catalog.loader import builtin_document
from outcrop.errors import ValidationError
from outcrop.tasks import TaskKind
from outcrop.tasks.text_to_video import TextToVideoTask, VideoMode, VideoShot

SIZE = (64, 32)  # what the tiny options make of a 16:9 video
FRAMES_5S = 17  # 5 s delivered at 24 fps (first to last frame: 119/24 s) at 4 fps, in the VAE's 4k + 1 frames


@pytest.fixture(scope="module")
def tiny() -> LtxVideoBackend:
    return load(LoadSpec(weights="tiny-ltx-video", weights_dir=None, threads=2))


def ray(*, seed: int = 42, image: Image.Image | None = None, end: Image.Image | None = None,
        loop: bool = False) -> TextToVideoTask:  # fmt: skip
    """A Luma Ray-shaped task: one 5 s shot delivered at 960x540, 24 fps."""
    shot = VideoShot("a paper boat drifting down a rainy street", image, end)
    return TextToVideoTask(shots=(shot,), duration_seconds=5, width=960, height=540, seed=seed, loop=loop)


def gradient(width: int, height: int, flip: bool = False) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // (width - 1), y * 255 // (height - 1), (x + y) % 256], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb[::-1, ::-1] if flip else rgb)


def test_text_shot_is_uint8_frames_at_the_generation_size_golden(tiny):
    result = tiny.run(ray(), no_progress)
    (frames,) = result.shots
    assert frames.shape == (FRAMES_5S, SIZE[1], SIZE[0], 3) and frames.dtype == np.uint8
    assert result.fps == ltx_video_tiny.OPTIONS["gen_fps"]
    # Golden values: seeded weights, seed 42. A refactor that changes what the model is given or how frames come
    # out fails here (noise statistics first, to say how far off; then the exact bytes).
    means = frames.reshape(FRAMES_5S, -1).mean(axis=1)
    assert np.allclose(means[[0, 8, 16]], GOLDEN_MEANS, atol=0.05), means[[0, 8, 16]]
    assert round(float(frames.std()), 2) == GOLDEN_STD
    assert hashlib.sha256(frames.tobytes()).hexdigest()[:16] == GOLDEN_FRAMES


GOLDEN_MEANS = [121.89, 126.63, 128.77]  # frames 0, 8 and 16
GOLDEN_STD = 39.01
GOLDEN_FRAMES = "22310a3d9d833db8"


def test_same_seed_same_frames_other_seed_other_frames(tiny):
    one, again = tiny.run(ray(seed=3), no_progress), tiny.run(ray(seed=3), no_progress)
    assert np.array_equal(one.shots[0], again.shots[0])
    assert not np.array_equal(one.shots[0], tiny.run(ray(seed=4), no_progress).shots[0])


def test_start_keyframe_is_the_first_frame_and_conditions_the_motion(tiny):
    plain = tiny.run(ray(), no_progress).shots[0]
    picture, other = gradient(1280, 720), gradient(1280, 720, flip=True)
    with_picture = tiny.run(ray(image=picture), no_progress).shots[0]
    with_other = tiny.run(ray(image=other), no_progress).shots[0]
    assert np.array_equal(with_picture[0], tiny.fit(picture, SIZE))
    # The model itself saw the picture: the frames after the first change with it (not only the pasted frame).
    assert np.abs(with_picture[1:].astype(int) - with_other[1:]).mean() > 0.5
    assert np.abs(with_picture[1:].astype(int) - plain[1:]).mean() > 0.5


def test_end_keyframe_is_the_last_frame_and_conditions_the_frames_before(tiny):
    start, end = gradient(640, 360), gradient(640, 360, flip=True)
    both = tiny.run(ray(image=start, end=end), no_progress).shots[0]
    only_start = tiny.run(ray(image=start), no_progress).shots[0]
    assert both.shape[0] == FRAMES_5S
    assert np.array_equal(both[0], tiny.fit(start, SIZE)) and np.array_equal(both[-1], tiny.fit(end, SIZE))
    assert np.abs(both[1:-1].astype(int) - only_start[1:-1]).mean() > 0.5


def test_loop_ends_before_its_first_frame_comes_again(tiny):
    seen: list[float] = []
    looped = tiny.run(ray(loop=True), seen.append).shots[0]
    # One frame fewer: the generated last frame was the first frame again (conditioned to be), and is dropped.
    assert looped.shape[0] == FRAMES_5S - 1
    steps = ltx_video_tiny.OPTIONS["steps"]
    assert len(seen) == 2 * steps + 1 and seen[-1] == 1.0  # the start frame's pass, the video's pass, done
    assert seen == sorted(seen)
    start = gradient(320, 180)
    looped_on_picture = tiny.run(ray(image=start, loop=True), no_progress).shots[0]
    assert np.array_equal(looped_on_picture[0], tiny.fit(start, SIZE))
    plain = tiny.run(ray(image=start), no_progress).shots[0]
    assert np.abs(looped_on_picture[1:].astype(int) - plain[1 : FRAMES_5S - 1]).mean() > 0.5


def test_loop_and_end_keyframe_together_are_refused(tiny):
    with pytest.raises(ValidationError, match="loop or an end frame"):
        tiny.run(ray(end=gradient(64, 32), loop=True), no_progress)


def test_nova_reel_shots_run_on_it_too(tiny):
    """Bound to Nova Reel: 6 s shots, a shot image as the first frame, one seed per shot."""
    image = gradient(1280, 720)
    shots = (VideoShot("a red kite"), VideoShot("a blue kite", image))
    task = TextToVideoTask(shots=shots, duration_seconds=12, seed=7, mode=VideoMode.MULTI_SHOT_MANUAL)
    result = tiny.run(task, no_progress)
    assert [shot.shape for shot in result.shots] == [(21, 32, 64, 3)] * 2  # 6 s shots at 4 fps
    assert np.array_equal(result.shots[1][0], tiny.fit(image, SIZE))


def test_progress_reports_every_step_of_every_shot(tiny):
    seen: list[float] = []
    tiny.run(ray(), seen.append)
    assert seen == [0.5, 1.0, 1.0]


@pytest.mark.parametrize(
    ("width", "height", "pixels", "expected"),
    [
        (1280, 720, 393216, (864, 480)),
        (720, 1280, 393216, (480, 864)),
        (720, 720, 393216, (640, 640)),
        (1680, 720, 393216, (960, 416)),
        (960, 540, 2048, (64, 32)),
        (540, 1260, 2048, (32, 64)),
    ],
)
def test_generation_size_keeps_the_aspect_in_multiples_of_32(width, height, pixels, expected):
    assert generation_size(width, height, pixels) == expected


def test_frame_count_spans_the_delivered_shot_in_vae_sized_steps():
    assert frame_count(5, 24, 24, 8, 257) == 113  # 112 intervals of 1/24 s within the 119 between first and last
    assert frame_count(9, 24, 24, 8, 257) == 209
    assert frame_count(6, 24, 4, 4, 65) == 21
    assert frame_count(20, 24, 24, 8, 257) == 257  # capped: a longer shot plays slower rather than failing
    assert frame_count(0.1, 24, 4, 4, 65) == 5  # never fewer than one VAE step


def test_registered_sized_and_closed():
    assert registry.known("ltx_video")
    backend = load(LoadSpec(weights="tiny-ltx-video", weights_dir=None))
    assert TaskKind.TEXT_TO_VIDEO in backend.kinds
    assert backend.memory_bytes() > 100_000
    backend.close()
    assert backend.memory_bytes() == 0
    with pytest.raises(RuntimeError, match="closed"):
        backend.run(ray(), no_progress)


def test_uninstalled_real_weights_say_how_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape("outcrop models pull ltx-video-0.9.5")):
        load(LoadSpec(weights="ltx-video-0.9.5", weights_dir=tmp_path))


def test_the_documented_nova_reel_alternative_binding_loads(tmp_path):
    """catalog.toml shows, commented out, how to serve Nova Reel with LTX-Video; that text must stay valid."""
    text = (Path(registry.__file__).parents[1] / "catalog" / "builtin" / "catalog.toml").read_text()
    block = re.findall(r'^# (\[profiles\.default\.bindings\."amazon\.nova-reel-v1:[01]"\]\n)# (TEXT_TO_VIDEO = .*\n)',
                       text, flags=re.MULTILINE)  # fmt: skip
    assert len(block) == 2
    overlay = tmp_path / "catalog.toml"
    overlay.write_text("".join(header + line for header, line in block))
    tomllib.loads(overlay.read_text())
    catalog = load_catalog("default", tmp_path / "models", overlay)
    for model_id in ("amazon.nova-reel-v1:0", "amazon.nova-reel-v1:1"):
        (binding,) = catalog.resolve(model_id).bindings[TaskKind.TEXT_TO_VIDEO]
        assert (binding.backend, binding.weights) == ("ltx_video", "ltx-video-0.9.5")
    assert "ltx-video-0.9.5" in builtin_document()["weights"]
