"""Luma Ray 2 modelInput -> TextToVideoTask: defaults, sizes, keyframes, and one row per rule (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from outcrop.errors import ValidationError
from outcrop.families.luma_ray.body import frame_size, parse_ray_input
from support.images import jpeg_b64, png_b64

PNG, JPEG = png_b64(320, 180), jpeg_b64(320, 180)


def keyframe(data: str = PNG, media_type: str = "image/png", **extra: Any) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}, **extra}


def test_a_prompt_alone_is_a_5_second_720p_16_9_video_at_24_fps() -> None:
    task = parse_ray_input({"prompt": "an old lady laughing underwater, wearing a scuba diving suit"})
    assert (task.width, task.height, task.fps, task.duration_seconds) == (1280, 720, 24, 5)
    assert not task.loop and len(task.shots) == 1
    assert task.shots[0].image is None and task.shots[0].end_image is None
    assert task.shot_seconds(1) == 5


def test_every_field_is_read() -> None:
    task = parse_ray_input({"prompt": "waves", "aspect_ratio": "9:16", "loop": True, "duration": "9s",
                            "resolution": "540p", "keyframes": {"frame0": keyframe(JPEG, "image/jpeg")}})  # fmt: skip
    assert (task.width, task.height, task.duration_seconds, task.loop) == (540, 960, 9, True)
    assert task.shots[0].image is not None and task.shots[0].image.size == (320, 180)


def test_both_keyframes_start_and_end_the_shot() -> None:
    task = parse_ray_input(
        {"prompt": "a door opens", "keyframes": {"frame0": keyframe(), "frame1": keyframe(JPEG, "image/jpeg")}}
    )
    shot = task.shots[0]
    assert shot.image is not None and shot.image.format == "PNG"
    assert shot.end_image is not None and shot.end_image.format == "JPEG"


@pytest.mark.parametrize(
    ("aspect", "resolution", "size"),
    [
        ("16:9", "720p", (1280, 720)),
        ("16:9", "540p", (960, 540)),
        ("9:16", "720p", (720, 1280)),
        ("1:1", "540p", (540, 540)),
        ("4:3", "720p", (960, 720)),
        ("3:4", "540p", (540, 720)),
        ("21:9", "720p", (1680, 720)),
        ("9:21", "540p", (540, 1260)),
    ],
)
def test_the_shorter_side_has_the_resolution_lines(aspect: str, resolution: str, size: tuple[int, int]) -> None:
    assert frame_size(aspect, resolution) == size


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("missing-prompt", {"duration": "5s"}, "required key [prompt] not found"),
    ("empty-prompt", {"prompt": ""}, "expected minLength: 1"),
    ("long-prompt", {"prompt": "x" * 5001}, "expected maxLength: 5000"),
    ("duration", {"prompt": "x", "duration": "10s"}, "10s is not a valid enum value (expected one of: 5s, 9s)"),
    ("duration-number", {"prompt": "x", "duration": 5}, "5 is not a valid enum value (expected one of: 5s, 9s)"),
    ("resolution", {"prompt": "x", "resolution": "1080p"}, "1080p is not a valid enum value (expected one of: 540p, 720p)"),
    ("aspect", {"prompt": "x", "aspect_ratio": "2:1"}, "2:1 is not a valid enum value (expected one of: 1:1, 16:9"),
    ("loop-type", {"prompt": "x", "loop": "yes"}, "#/loop: expected type: Boolean, found: String"),
    ("unknown-key", {"prompt": "x", "seed": 3}, "extraneous key [seed] is not permitted"),
    ("no-keyframes", {"prompt": "x", "keyframes": {}}, "expected minimum property count: 1"),
    ("frame2", {"prompt": "x", "keyframes": {"frame2": keyframe()}}, "extraneous key [frame2]"),
    ("generation-keyframe", {"prompt": "x", "keyframes": {"frame0": {"type": "generation", "id": "abc"}}},
     "generation is not a valid enum value (expected one of: image)"),
    ("url-source", {"prompt": "x", "keyframes": {"frame0": {"type": "image", "source": {"type": "url", "url": "https://x"}}}},
     "url is not a valid enum value (expected one of: base64)"),
    ("media-type", {"prompt": "x", "keyframes": {"frame0": keyframe(media_type="image/gif")}},
     "image/gif is not a valid enum value (expected one of: image/jpeg, image/png)"),
    ("media-type-mismatch", {"prompt": "x", "keyframes": {"frame0": keyframe(JPEG, "image/png")}},
     "keyframes.frame0.source.media_type is image/png but the data is a JPEG image; send media_type image/jpeg"),
    ("not-base64", {"prompt": "x", "keyframes": {"frame1": keyframe("not base64!")}}, "keyframes.frame1.source.data is not valid base64"),
    ("loop-and-end", {"prompt": "x", "loop": True, "keyframes": {"frame1": keyframe()}},
     "send loop: true or a frame1 keyframe, not both"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "body", "message"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_says_what_to_send(name: str, body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_ray_input(body)
    assert message in str(caught.value)
