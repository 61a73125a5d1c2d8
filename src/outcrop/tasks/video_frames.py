"""Frames sampled from a video a caller sent (Nova 2 video embeddings): one per second, decoded with PyAV from
memory, refused with a ValidationError when the bytes are not a readable video or run longer than allowed."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL.Image import Image

from outcrop.errors import ValidationError


@dataclass(frozen=True)
class SampledVideo:
    frames: tuple[Image, ...]
    seconds: float
    has_audio: bool


MAX_FRAME_PIXELS = 4096 * 4096


def sample_frames(data: bytes, field: str, max_seconds: float = 30.0, every_s: float = 1.0) -> SampledVideo:
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            if not container.streams.video:
                raise ValidationError(f"{field} has no video stream; send an MP4, MOV, MKV or WebM video.")
            _check_size(container.streams.video[0].codec_context, field)
            has_audio = bool(container.streams.audio)
            frames, seconds = _every(container, field, max_seconds, every_s)
    except av.FFmpegError as exc:  # the bytes are not a container FFmpeg can read
        raise ValidationError(f"{field} is not a readable video ({exc}); send an MP4, MOV, MKV or WebM file.") from exc
    if not frames:
        raise ValidationError(f"{field} has no decodable frames; send a video with at least one frame.")
    return SampledVideo(tuple(frames), seconds, has_audio)


def _check_size(codec: object, field: str) -> None:
    """The frame size the stream declares, checked before any frame is decoded."""
    width, height = int(getattr(codec, "width", 0) or 0), int(getattr(codec, "height", 0) or 0)
    if width * height > MAX_FRAME_PIXELS:
        raise ValidationError(
            f"{field} has {width}x{height} frames; send at most {MAX_FRAME_PIXELS:,} pixels a frame (e.g. 4096x4096)."
        )


def _every(container: object, field: str, max_seconds: float, every_s: float) -> tuple[list[Image], float]:
    frames: list[Image] = []
    seconds, next_at = 0.0, 0.0
    for frame in container.decode(video=0):  # type: ignore[attr-defined]
        if frame.width * frame.height > MAX_FRAME_PIXELS:  # a stream may change size mid-way
            raise ValidationError(f"{field} has a {frame.width}x{frame.height} frame; send smaller frames.")
        seconds = float(frame.time or 0.0)
        if seconds > max_seconds:
            raise ValidationError(
                f"{field} runs past {max_seconds:.0f} s; send at most {max_seconds:.0f} s to InvokeModel, or a "
                "SEGMENTED_EMBEDDING job through StartAsyncInvoke for longer videos."
            )
        if seconds >= next_at:
            frames.append(frame.to_image())
            next_at = seconds + every_s
    return frames, seconds
