"""The MP4 codec: retiming and resizing generated frames lazily, and an H.264 round trip through PyAV."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

from outcrop.tasks.video_codec import encode_mp4, probe_mp4, read_frames, retimed_frames


def ramp(count: int, width: int = 16, height: int = 8) -> np.ndarray:
    """`count` flat frames whose value rises by 20 per frame, so blends between them are easy to predict."""
    values = (np.arange(count, dtype=np.uint8) * 20)[:, np.newaxis, np.newaxis, np.newaxis]
    return np.broadcast_to(values, (count, height, width, 3)).copy()


def test_retimed_frames_is_a_lazy_generator_of_exact_count_and_size():
    frames = retimed_frames(ramp(8), src_fps=8, fps=24, seconds=6, size=(64, 36))
    assert isinstance(frames, types.GeneratorType)
    out = list(frames)
    assert len(out) == 144
    assert {(f.shape, f.dtype) for f in out} == {((36, 64, 3), np.dtype(np.uint8))}


def test_short_shot_is_stretched_from_first_to_last_frame():
    # 8 frames at 8 fps last 1 s; a 6 s shot stretches them so the last frame ends the shot.
    out = list(retimed_frames(ramp(8), src_fps=8, fps=24, seconds=6, size=(16, 8)))
    assert out[0].max() == 0 and out[-1].min() == 140
    means = [float(f.mean()) for f in out]
    assert means == sorted(means)
    # Between two source frames the output is their blend, not a repeat of either.
    assert 0 < means[len(out) // 14] < 140


def test_long_shot_plays_at_natural_speed_and_is_cut():
    # 20 frames at 2 fps last 10 s: a 1 s shot at 4 fps samples source positions 0, 0.5, 1, 1.5.
    out = list(retimed_frames(ramp(20), src_fps=2, fps=4, seconds=1, size=(16, 8)))
    assert [int(f[0, 0, 0]) for f in out] == [0, 10, 20, 30]


def test_retiming_an_empty_shot_is_refused():
    with pytest.raises(ValueError, match="no frames"):
        next(retimed_frames(ramp(0), src_fps=8, fps=24, seconds=6, size=(16, 8)))


def test_mp4_round_trip_keeps_count_size_fps_and_codec(tmp_path: Path):
    dest = tmp_path / "shot.mp4"
    written = encode_mp4(retimed_frames(ramp(8), src_fps=8, fps=24, seconds=2, size=(128, 72)), 24, dest)
    assert written == 48
    info = probe_mp4(dest)
    assert (info.frames, info.width, info.height, info.codec) == (48, 128, 72, "h264")
    assert info.fps == pytest.approx(24.0)
    assert info.duration_seconds == pytest.approx(2.0, abs=0.05)
    decoded = list(read_frames(dest))
    assert len(decoded) == 48 and decoded[0].shape == (72, 128, 3)
    # Lossy, but a flat frame stays near its value.
    assert abs(float(decoded[-1].mean()) - 140) < 4


def test_mp4_starts_with_its_index_for_streaming(tmp_path: Path):
    dest = tmp_path / "shot.mp4"
    encode_mp4(iter(ramp(4, 32, 16)), 24, dest)
    head = dest.read_bytes()[:64]
    assert head.index(b"moov") < dest.read_bytes().index(b"mdat")
    assert b"ftyp" in head


def test_encode_refuses_odd_sizes_and_mixed_frames(tmp_path: Path):
    with pytest.raises(ValueError, match="even"):
        encode_mp4(iter(ramp(2, 15, 8)), 24, tmp_path / "odd.mp4")
    with pytest.raises(ValueError, match="every frame"):
        encode_mp4(iter([ramp(1)[0], ramp(1, 32, 16)[0]]), 24, tmp_path / "mixed.mp4")
    with pytest.raises(ValueError, match="no frames"):
        encode_mp4(iter([]), 24, tmp_path / "empty.mp4")
