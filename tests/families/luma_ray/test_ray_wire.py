"""Luma Ray 2 through boto3: StartAsyncInvoke on a tiny-profile server whose jobs write to a real S3 server.

The jobs run the tiny seeded LTX-Video model (noise frames); what is checked is what Bedrock promises about the
MP4 (where it lands, its size, frame rate and length as requested, keyframes where they were asked for) and the
refusals, which must say what to send.
"""

from __future__ import annotations

import base64
import io
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError
from PIL import Image

from outcrop.safety import watermark
from outcrop.tasks.video_codec import probe_mp4, read_frames
from support.images import png_b64
from support.live_server import LiveServer
from support.s3_local import LocalS3

RAY = "luma.ray-v2:0"


@pytest.fixture(scope="module")
def runtime(reel_server: LiveServer) -> Any:
    return reel_server.client("bedrock-runtime")


@pytest.fixture
def bucket(s3_server: LocalS3) -> str:
    name = f"ray-bucket-{uuid.uuid4().hex[:10]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


def start(runtime: Any, bucket: str, model_input: dict[str, Any], model_id: str = RAY) -> str:
    output = {"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}"}}
    arn: str = runtime.start_async_invoke(modelId=model_id, modelInput=model_input, outputDataConfig=output)[
        "invocationArn"
    ]
    return arn


def wait_done(runtime: Any, arn: str, timeout_s: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job: dict[str, Any] = runtime.get_async_invoke(invocationArn=arn)
        if job["status"] != "InProgress":
            return job
        time.sleep(0.5)
    raise AssertionError(f"{arn} still InProgress after {timeout_s} s")


def fetch_video(s3: LocalS3, bucket: str, arn: str, dest: Path) -> Path:
    """The job's output.mp4 from `<s3Uri>/<invocation id>/`, as Bedrock lays it out."""
    invocation_id = arn.rsplit("/", maxsplit=1)[-1]
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket, Prefix=invocation_id)["Contents"]]
    assert keys == [f"{invocation_id}/manifest.json", f"{invocation_id}/output.mp4"]
    s3.client().download_file(bucket, f"{invocation_id}/output.mp4", str(dest))
    return dest


def picture(width: int, height: int, flip: bool = False) -> tuple[np.ndarray, str]:
    """A smooth two-colour gradient (it survives downscaling to the tiny model's size and back) and its PNG."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    pixels[..., 2] = np.linspace(255, 0, height, dtype=np.uint8)[:, None]
    if flip:
        pixels = pixels[:, ::-1].copy()
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return pixels, base64.b64encode(buffer.getvalue()).decode()


def keyframe(data: str) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}


def test_text_to_video_lands_as_output_mp4_with_the_requested_size_rate_and_length(
    runtime: Any, s3_server: LocalS3, bucket: str, tmp_path: Path
) -> None:
    model_input = {"prompt": "a paper boat drifting down a rainy street", "aspect_ratio": "16:9", "loop": False,
                   "duration": "5s", "resolution": "540p"}  # fmt: skip
    arn = start(runtime, bucket, model_input)
    job = wait_done(runtime, arn)
    assert job["status"] == "Completed", job.get("failureMessage")
    assert job["modelArn"].endswith(f"foundation-model/{RAY}")
    assert job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"] == f"s3://{bucket}/{arn.split('/')[-1]}"
    info = probe_mp4(fetch_video(s3_server, bucket, arn, tmp_path / "output.mp4"))
    assert (info.width, info.height, info.frames, round(info.fps), info.codec) == (960, 540, 120, 24, "h264")
    assert info.duration_seconds == pytest.approx(5.0, abs=0.05)
    frames = [Image.fromarray(f) for f, _ in zip(read_frames(tmp_path / "output.mp4"), range(13), strict=False)]
    assert watermark.detect_frames(frames).watermarked


def test_a_9_second_vertical_loop_at_720p(runtime: Any, s3_server: LocalS3, bucket: str, tmp_path: Path) -> None:
    model_input = {"prompt": "waves rolling onto a beach", "aspect_ratio": "9:16", "loop": True, "duration": "9s",
                   "resolution": "720p"}  # fmt: skip
    arn = start(runtime, bucket, model_input, model_id=f"us.{RAY}")
    job = wait_done(runtime, arn)
    assert job["status"] == "Completed", job.get("failureMessage")
    info = probe_mp4(fetch_video(s3_server, bucket, arn, tmp_path / "output.mp4"))
    assert (info.width, info.height, info.frames, round(info.fps)) == (720, 1280, 216, 24)


def test_keyframes_are_the_first_and_last_frames(runtime: Any, s3_server: LocalS3, bucket: str, tmp_path: Path) -> None:
    first, first_png = picture(960, 540)
    last, last_png = picture(960, 540, flip=True)
    model_input = {"prompt": "a gradient turning around", "resolution": "540p",
                   "keyframes": {"frame0": keyframe(first_png), "frame1": keyframe(last_png)}}  # fmt: skip
    arn = start(runtime, bucket, model_input)
    assert wait_done(runtime, arn)["status"] == "Completed"
    frames = list(read_frames(fetch_video(s3_server, bucket, arn, tmp_path / "output.mp4")))
    assert len(frames) == 120
    # The pictures, through the tiny model's 64x32 frames, scaling back up, the watermark and H.264.
    assert np.abs(frames[0].astype(np.float64) - first).mean() < 12
    assert np.abs(frames[-1].astype(np.float64) - last).mean() < 12
    assert np.abs(frames[0].astype(np.float64) - last).mean() > 40  # and not the other way round


ROWS: list[tuple[str, dict[str, Any], str]] = [
    ("bad-duration", {"prompt": "x", "duration": "10s"}, r"#/duration: 10s is not a valid enum value \(expected one of: 5s, 9s\)"),
    ("bad-resolution", {"prompt": "x", "resolution": "1080p"}, r"1080p is not a valid enum value \(expected one of: 540p, 720p\)"),
    ("missing-prompt", {"aspect_ratio": "16:9"}, r"required key \[prompt\] not found"),
    ("unknown-key", {"prompt": "x", "fps": 24}, r"extraneous key \[fps\] is not permitted \(allowed keys: aspect_ratio"),
    ("bad-aspect", {"prompt": "x", "aspect_ratio": "5:4"}, r"5:4 is not a valid enum value"),
    ("loop-and-frame1", {"prompt": "x", "loop": True, "keyframes": {"frame1": keyframe(png_b64(64, 64))}},
     r"send loop: true or a frame1 keyframe, not both"),
    ("reel-body", {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "x"}}, r"required key \[prompt\] not found"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "model_input", "message"), ROWS, ids=[r[0] for r in ROWS])
def test_invalid_inputs_fail_at_start_saying_what_to_send(runtime: Any, bucket: str, name: str,
                                                          model_input: dict[str, Any], message: str) -> None:  # fmt: skip
    with pytest.raises(runtime.exceptions.ValidationException, match=message):
        start(runtime, bucket, model_input)


def test_invoke_model_is_refused_naming_start_async_invoke(runtime: Any) -> None:
    with pytest.raises(ClientError, match="StartAsyncInvoke") as caught:
        runtime.invoke_model(modelId=RAY, body=b'{"prompt": "a paper boat"}')
    assert caught.value.response["Error"]["Code"] == "ValidationException"
