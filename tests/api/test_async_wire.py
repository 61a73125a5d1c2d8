"""StartAsyncInvoke / GetAsyncInvoke / ListAsyncInvokes through boto3, with outputs on a real S3 server.

The first test is the Nova Reel lab's own sequence of calls: start, poll until Completed, find the video with
list_objects_v2 under the invocation id, download it, and check what it is.
"""

from __future__ import annotations

import base64
import io
import re
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError
from PIL import Image

from outcrop.safety import provenance, watermark
from outcrop.tasks.video_codec import probe_mp4, read_frames
from support.live_server import LiveServer
from support.s3_local import LocalS3

ARN = re.compile(r"^arn:aws:bedrock:[a-z0-9-]+:[0-9]{12}:async-invoke/[a-z0-9]{12}$")


def text_video(prompt: str = "a red kettle on a wooden table, slow pan", seed: int = 7) -> dict[str, Any]:
    return {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": prompt},
            "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": seed}}  # fmt: skip


def output_config(bucket: str) -> dict[str, Any]:
    return {"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}"}}


def wait_done(runtime: Any, arn: str, timeout_s: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job: dict[str, Any] = runtime.get_async_invoke(invocationArn=arn)
        if job["status"] != "InProgress":
            return job
        time.sleep(0.5)
    raise AssertionError(f"{arn} still InProgress after {timeout_s} s")


@pytest.fixture(scope="module")
def reel(reel_server: LiveServer) -> Any:
    return reel_server.client("bedrock-runtime")


@pytest.fixture
def bucket(s3_server: LocalS3) -> str:
    name = f"video-bucket-{uuid.uuid4().hex[:10]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


def test_lab_flow_start_poll_find_download(reel: Any, s3_server: LocalS3, bucket: str, tmp_path: Path,
                                           reel_server: LiveServer) -> None:  # fmt: skip
    started = reel.start_async_invoke(modelId="amazon.nova-reel-v1:0", modelInput=text_video(),
                                      outputDataConfig=output_config(bucket))  # fmt: skip
    arn = started["invocationArn"]
    assert ARN.match(arn)
    job = wait_done(reel, arn)
    assert job["status"] == "Completed", job.get("failureMessage")
    invocation_id = arn.split("/")[-1]
    assert job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"] == f"s3://{bucket}/{invocation_id}"
    assert job["endTime"] >= job["submitTime"]
    s3 = s3_server.client()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=invocation_id)["Contents"]]
    assert keys == [f"{invocation_id}/manifest.json", f"{invocation_id}/output.mp4"]
    first_mp4 = next(k for k in keys if k.endswith(".mp4"))
    s3.download_file(bucket, first_mp4, str(tmp_path / "output.mp4"))
    info = probe_mp4(tmp_path / "output.mp4")
    assert (info.width, info.height, info.frames, round(info.fps), info.codec) == (1280, 720, 144, 24, "h264")
    frames = [Image.fromarray(f) for f, _ in zip(read_frames(tmp_path / "output.mp4"), range(13), strict=False)]
    assert watermark.detect_frames(frames).watermarked
    manifest = s3.get_object(Bucket=bucket, Key=f"{invocation_id}/manifest.json")["Body"].read().decode()
    key = provenance.load_public_key(provenance.public_key_file(reel_server.settings.keys_dir))
    video = (tmp_path / "output.mp4").read_bytes()
    assert provenance.verify_files(manifest, {"output.mp4": video}, [key]).valid
    assert not provenance.verify_files(manifest, {"output.mp4": video[:-1] + b"\\0"}, [key]).valid


def test_image_to_video_starts_from_the_image(reel: Any, s3_server: LocalS3, bucket: str, tmp_path: Path) -> None:
    gradient = np.zeros((720, 1280, 3), dtype=np.uint8)
    gradient[..., 0] = np.linspace(0, 255, 1280, dtype=np.uint8)[None, :]
    gradient[..., 2] = np.linspace(255, 0, 720, dtype=np.uint8)[:, None]
    buffer = io.BytesIO()
    Image.fromarray(gradient).save(buffer, format="PNG")
    body = text_video()
    body["textToVideoParams"]["images"] = [
        {"format": "png", "source": {"bytes": base64.b64encode(buffer.getvalue()).decode()}}
    ]
    arn = reel.start_async_invoke(modelId="amazon.nova-reel-v1:1", modelInput=body,
                                  outputDataConfig=output_config(bucket))["invocationArn"]  # fmt: skip
    assert wait_done(reel, arn)["status"] == "Completed"
    s3_server.client().download_file(bucket, f"{arn.split('/')[-1]}/output.mp4", str(tmp_path / "v.mp4"))
    first = next(read_frames(tmp_path / "v.mp4")).astype(np.float64)
    assert np.abs(first - gradient).mean() < 12  # the image, through resizing, the watermark and H.264


def test_multi_shot_manual_keeps_each_shot(reel: Any, s3_server: LocalS3, bucket: str, tmp_path: Path) -> None:
    body = {"taskType": "MULTI_SHOT_MANUAL",
            "multiShotManualParams": {"shots": [{"text": "a teapot"}, {"text": "a teacup"}]},
            "videoGenerationConfig": {"fps": 24, "dimension": "1280x720", "seed": 3}}  # fmt: skip
    arn = reel.start_async_invoke(modelId="amazon.nova-reel-v1:1", modelInput=body,
                                  outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/runs/a"}})["invocationArn"]  # fmt: skip
    assert wait_done(reel, arn)["status"] == "Completed"
    invocation_id = arn.split("/")[-1]
    s3 = s3_server.client()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"runs/a/{invocation_id}")["Contents"]]
    names = [k.rsplit("/", 1)[-1] for k in keys]
    assert names == ["manifest.json", "output.mp4", "shot_0001.mp4", "shot_0002.mp4"]
    counts = {}
    for name in names[1:]:
        s3.download_file(bucket, f"runs/a/{invocation_id}/{name}", str(tmp_path / name))
        counts[name] = probe_mp4(tmp_path / name).frames
    assert counts == {"output.mp4": 288, "shot_0001.mp4": 144, "shot_0002.mp4": 144}


def test_same_token_same_arn_other_body_conflict(reel: Any, bucket: str) -> None:
    token = str(uuid.uuid4())
    first = reel.start_async_invoke(modelId="amazon.nova-reel-v1:0", modelInput=text_video(seed=1),
                                    outputDataConfig=output_config(bucket), clientRequestToken=token)  # fmt: skip
    again = reel.start_async_invoke(modelId="amazon.nova-reel-v1:0", modelInput=text_video(seed=1),
                                    outputDataConfig=output_config(bucket), clientRequestToken=token)  # fmt: skip
    assert again["invocationArn"] == first["invocationArn"]
    with pytest.raises(reel.exceptions.ConflictException, match="clientRequestToken"):
        reel.start_async_invoke(modelId="amazon.nova-reel-v1:0", modelInput=text_video(seed=2),
                                outputDataConfig=output_config(bucket), clientRequestToken=token)  # fmt: skip
    wait_done(reel, first["invocationArn"])


@pytest.mark.parametrize(
    ("model_id", "change", "message"),
    [
        ("amazon.nova-reel-v1:0", {"videoGenerationConfig": {"durationSeconds": 7, "fps": 24, "dimension": "1280x720"}}, "durationSeconds"),
        ("amazon.nova-reel-v1:0", {"taskType": "MULTI_SHOT_AUTOMATED"}, "taskType"),
        ("amazon.nova-canvas-v1:0", {}, r"StartAsyncInvoke.*luma\.ray-v2:0"),  # the refusal lists the async ids
    ],
)  # fmt: skip
def test_invalid_requests_fail_at_start(reel: Any, bucket: str, model_id: str, change: dict[str, Any],
                                        message: str) -> None:  # fmt: skip
    with pytest.raises(reel.exceptions.ValidationException, match=message):
        reel.start_async_invoke(modelId=model_id, modelInput={**text_video(), **change},
                                outputDataConfig=output_config(bucket))  # fmt: skip


def test_missing_bucket_fails_at_start(reel: Any) -> None:
    with pytest.raises(reel.exceptions.ValidationException, match="no-such-bucket-here"):
        reel.start_async_invoke(modelId="amazon.nova-reel-v1:0", modelInput=text_video(),
                                outputDataConfig=output_config("no-such-bucket-here"))  # fmt: skip


def test_unknown_invocation_is_a_validation_error(reel: Any) -> None:
    with pytest.raises(reel.exceptions.ValidationException, match="not found"):
        reel.get_async_invoke(invocationArn="arn:aws:bedrock:us-east-1:123456789012:async-invoke/zzzzzzzzzzzz")


def test_invoke_model_refuses_reel(reel: Any) -> None:
    with pytest.raises(ClientError, match="StartAsyncInvoke"):
        reel.invoke_model(modelId="amazon.nova-reel-v1:0", body=b'{"taskType": "TEXT_VIDEO"}')


def test_list_filters_sorting_and_pagination(reel: Any, bucket: str) -> None:
    before = reel.list_async_invokes()["asyncInvokeSummaries"]
    mark = time.time()
    arns = [reel.start_async_invoke(modelId="amazon.nova-reel-v1:0", modelInput=text_video(seed=s),
                                    outputDataConfig=output_config(bucket))["invocationArn"] for s in (11, 12, 13)]  # fmt: skip
    for arn in arns:
        wait_done(reel, arn)
    pages = reel.get_paginator("list_async_invokes").paginate(PaginationConfig={"PageSize": 2})
    seen = [s["invocationArn"] for page in pages for s in page["asyncInvokeSummaries"]]
    assert len(seen) == len(set(seen)) == len(before) + 3
    after = reel.list_async_invokes(submitTimeAfter=mark - 1, sortOrder="Ascending", statusEquals="Completed")
    newest = [s["invocationArn"] for s in after["asyncInvokeSummaries"]][-3:]
    assert newest == arns
    descending = reel.list_async_invokes(submitTimeAfter=mark - 1)["asyncInvokeSummaries"]
    assert [s["invocationArn"] for s in descending][:3] == arns[::-1]
    assert reel.list_async_invokes(statusEquals="Failed", submitTimeAfter=mark - 1)["asyncInvokeSummaries"] == []
