"""The video backend on the tiny seeded text-to-video pipeline: every path through the real diffusers code.

The tiny model's weights are random, so its frames are noise: these tests check what the backend promises (shapes,
shot counts, seeds, the first frame of an image shot, progress), never video quality.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from outcrop.backends import registry, video_tiny
from outcrop.backends.base import LoadSpec, no_progress
from outcrop.backends.video import VideoBackend, load
from outcrop.tasks.text_to_video import TextToVideoTask, VideoMode, VideoShot, split_into_shots
from outcrop.tasks.video_codec import encode_mp4, probe_mp4, retimed_frames

GEN = (video_tiny.OPTIONS["gen_frames"], video_tiny.OPTIONS["gen_height"], video_tiny.OPTIONS["gen_width"], 3)


@pytest.fixture(scope="module")
def tiny() -> VideoBackend:
    return load(LoadSpec(weights="tiny-video", weights_dir=None))


def single(prompt: str = "a fox in the snow", seed: int = 42, image: Image.Image | None = None) -> TextToVideoTask:
    return TextToVideoTask(shots=(VideoShot(prompt, image),), seed=seed)


def gradient(width: int, height: int) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // (width - 1), y * 255 // (height - 1), (x + y) % 256], axis=-1)
    return Image.fromarray(rgb.astype(np.uint8))


def test_one_shot_is_uint8_frames_at_the_generation_size(tiny):
    result = tiny.run(single(), no_progress)
    assert len(result.shots) == 1
    assert result.shots[0].shape == GEN and result.shots[0].dtype == np.uint8
    assert result.fps == video_tiny.OPTIONS["gen_fps"]
    assert result.shots[0].std() > 0


def test_same_seed_same_frames_other_seed_other_frames(tiny):
    one, again = tiny.run(single(seed=3), no_progress), tiny.run(single(seed=3), no_progress)
    assert np.array_equal(one.shots[0], again.shots[0])
    other = tiny.run(single(seed=4), no_progress)
    assert not np.array_equal(one.shots[0], other.shots[0])


def test_automated_multi_shot_makes_one_shot_per_six_seconds_seeded_seed_plus_i(tiny):
    prompt = "A fox wakes. It trots across a field. A hawk circles. The fox dives into snow."
    task = TextToVideoTask(shots=(VideoShot(prompt),), duration_seconds=12, seed=5, mode=VideoMode.MULTI_SHOT_AUTOMATED)
    result = tiny.run(task, no_progress)
    assert len(result.shots) == 2 and all(shot.shape == GEN for shot in result.shots)
    # Shot 1 is the second part of the prompt with seed 6, whatever the shots around it.
    alone = tiny.run(single(split_into_shots(prompt, 2)[1], seed=6), no_progress)
    assert np.array_equal(result.shots[1], alone.shots[0])


def test_manual_multi_shot_makes_one_shot_per_given_shot(tiny):
    shots = (VideoShot("a red kite"), VideoShot("a blue kite"))
    task = TextToVideoTask(shots=shots, duration_seconds=12, mode=VideoMode.MULTI_SHOT_MANUAL)
    result = tiny.run(task, no_progress)
    assert len(result.shots) == 2 and not np.array_equal(result.shots[0], result.shots[1])


def test_image_shot_starts_on_the_image_fitted_to_the_generation_size(tiny):
    image = gradient(1280, 720)
    result = tiny.run(single(image=image), no_progress)
    frames = result.shots[0]
    assert frames.shape == GEN
    expected = np.asarray(tiny.first_frame(image))
    assert expected.shape == GEN[1:]
    assert np.array_equal(frames[0], expected)
    # The image seeds the rest of the shot too: its frames differ from a text-only shot with the same seed.
    assert not np.array_equal(frames[1:], tiny.run(single(), no_progress).shots[0][1:])


def test_progress_rises_to_one_across_all_shots(tiny):
    seen: list[float] = []
    shots = (VideoShot("a red kite"), VideoShot("a blue kite", gradient(64, 36)))
    tiny.run(TextToVideoTask(shots=shots, duration_seconds=12, mode=VideoMode.MULTI_SHOT_MANUAL), seen.append)
    steps = video_tiny.OPTIONS["steps"]
    assert seen == sorted(seen) and seen[-1] == 1.0
    # One report per denoising step of each shot, then the final 1.0.
    assert len(seen) >= 2 * steps + 1 and seen[steps - 1] == pytest.approx(0.5, abs=0.2)


def test_weights_folder_loads_through_from_pretrained(tiny, tmp_path: Path):
    # The tiny pipeline saved in diffusers' layout stands in for installed weights (model_index.json and parts).
    tiny._pipe("text").save_pretrained(tmp_path)
    folder = load(LoadSpec(weights="saved", weights_dir=tmp_path, options=video_tiny.OPTIONS))
    assert np.array_equal(folder.run(single(), no_progress).shots[0], tiny.run(single(), no_progress).shots[0])


def test_missing_weights_name_the_pull_command(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="outcrop models pull zeroscope-v2-576w"):
        load(LoadSpec(weights="zeroscope-v2-576w", weights_dir=tmp_path / "absent"))
    with pytest.raises(FileNotFoundError, match="outcrop models pull zeroscope-v2-576w"):
        load(LoadSpec(weights="zeroscope-v2-576w", weights_dir=None))


def test_image_strength_outside_zero_to_one_is_refused_before_loading():
    for strength in (0, 1.5):
        with pytest.raises(ValueError, match="image_strength"):
            load(LoadSpec(weights="tiny-video", weights_dir=None, options={"image_strength": strength}))


def test_registry_loads_the_backend_and_a_six_second_job_encodes(tmp_path: Path):
    backend = registry.load_backend("video", LoadSpec(weights="tiny-video", weights_dir=None))
    result = backend.run(single(), no_progress)
    assert isinstance(result.shots, tuple)
    dest = tmp_path / "video.mp4"
    frames = retimed_frames(result.shots[0], result.fps, 24, 6, (1280, 720))
    assert encode_mp4(frames, 24, dest) == 144
    info = probe_mp4(dest)
    assert (info.frames, info.width, info.height, info.codec) == (144, 1280, 720, "h264")
