"""Luma Ray 2 `modelInput` -> TextToVideoTask (validated synchronously by StartAsyncInvoke).

The fields are Bedrock's (model-parameters-luma): `prompt` (1-5000 characters, required), `aspect_ratio`,
`loop`, `duration` ("5s" / "9s"), `resolution` ("540p" / "720p") and `keyframes`, whose `frame0` starts the
video and `frame1` ends it, each `{"type": "image", "source": {"type": "base64", "media_type", "data"}}`.
Omitted fields take the values Bedrock's examples show as the defaults: 16:9, no loop, 5 s, 720p.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PIL.Image import Image

from outcrop.errors import ValidationError
from outcrop.families.schema import check, enum, obj, string
from outcrop.tasks import TextToVideoTask
from outcrop.tasks.imaging import ImageLimits, decode_image
from outcrop.tasks.text_to_video import VideoShot

ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "1:1": (1, 1),
    "16:9": (16, 9),
    "9:16": (9, 16),
    "4:3": (4, 3),
    "3:4": (3, 4),
    "21:9": (21, 9),
    "9:21": (9, 21),
}
DURATIONS = {"5s": 5, "9s": 9}
RESOLUTIONS = {"540p": 540, "720p": 720}
FPS = 24  # Ray 2 delivers 24 frames a second
# Ray has no seed on Bedrock; a job must be reproducible (a crashed worker's retry writes the same video), so every
# Ray job is generated from this one seed, as Nova Reel's jobs are when their request names none.
SEED = 42
MEDIA_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
IMAGE_LIMITS = ImageLimits(max_bytes=25_000_000, max_side=4096)

_KEYFRAME = obj(
    {
        "type": enum("image"),
        "source": obj(
            {"type": enum("base64"), "media_type": enum(*MEDIA_TYPES), "data": string(min_length=1)},
            required=["type", "media_type", "data"],
        ),
    },
    required=["type", "source"],
)
SCHEMA = obj(
    {
        "prompt": string(1, 5000),
        "aspect_ratio": enum(*ASPECT_RATIOS),
        "loop": {"type": "boolean"},
        "duration": enum(*DURATIONS),
        "resolution": enum(*RESOLUTIONS),
        "keyframes": {**obj({"frame0": _KEYFRAME, "frame1": _KEYFRAME}), "minProperties": 1},
    },
    required=["prompt"],
)


def frame_size(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """(width, height) of the delivered video: the shorter side has the resolution's lines ("720p": 1280x720 at
    16:9, 720x1280 at 9:16, 720x720 at 1:1), the longer side follows the aspect ratio, both even for H.264."""
    across, down = ASPECT_RATIOS[aspect_ratio]
    short = RESOLUTIONS[resolution]
    longer = 2 * round(short * max(across, down) / min(across, down) / 2)
    return (longer, short) if across >= down else (short, longer)


def parse_ray_input(model_input: Mapping[str, Any]) -> TextToVideoTask:
    check(model_input, SCHEMA)
    keyframes: Mapping[str, Any] = model_input.get("keyframes", {})
    loop = bool(model_input.get("loop", False))
    if loop and "frame1" in keyframes:
        raise ValidationError(
            "loop makes the video end where it starts, so it cannot also end on keyframes.frame1; "
            "send loop: true or a frame1 keyframe, not both."
        )
    width, height = frame_size(model_input.get("aspect_ratio", "16:9"), model_input.get("resolution", "720p"))
    shot = VideoShot(
        model_input["prompt"],
        image=_keyframe(keyframes["frame0"], "frame0") if "frame0" in keyframes else None,
        end_image=_keyframe(keyframes["frame1"], "frame1") if "frame1" in keyframes else None,
    )
    return TextToVideoTask(
        shots=(shot,),
        duration_seconds=DURATIONS[model_input.get("duration", "5s")],
        fps=FPS,
        width=width,
        height=height,
        seed=SEED,
        loop=loop,
    )


def _keyframe(raw: Mapping[str, Any], name: str) -> Image:
    source = raw["source"]
    where = f"keyframes.{name}.source"
    image = decode_image(source["data"], f"{where}.data", IMAGE_LIMITS)
    declared = source["media_type"]
    if image.format != MEDIA_TYPES[declared]:
        actual = next(media for media, fmt in MEDIA_TYPES.items() if fmt == image.format)
        raise ValidationError(
            f"{where}.media_type is {declared} but the data is a {image.format} image; "
            f"send media_type {actual} or {MEDIA_TYPES[declared]} data."
        )
    return image
