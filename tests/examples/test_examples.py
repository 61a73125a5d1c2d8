"""Every script in examples/ run as a user runs it (a subprocess) against live tiny-profile servers: each exits 0 and
writes the files it promises, and those files decode. Tiny models make noise, so content is only checked where it
is deterministic (an image query finds the identical catalogue image)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from outcrop.tasks.video_codec import probe_mp4
from support.live_server import LiveServer
from support.s3_local import LocalS3

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CANVAS_FILES = ["product.png", "text-to-image.png", "canny.png", "variation.png", "inpainting.png", "outpainting.png",
                "color-guided.png", "background-removed.png"]  # fmt: skip


def run(script: str, out: Path, env: dict[str, str], *args: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OUTCROP_"))}
    done = subprocess.run([sys.executable, str(EXAMPLES / script), "--out", str(out), *args], env={**clean, **env},
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, f"{script} exited {done.returncode}\n{done.stdout}\n{done.stderr[-4000:]}"
    return done.stdout


def png(path: Path) -> Image.Image:
    image = Image.open(path)
    assert image.format == "PNG", path
    image.load()
    return image


def assert_video(path: Path) -> None:
    info = probe_mp4(path)
    assert (info.frames, info.width, info.height, round(info.fps)) == (144, 1280, 720, 24), path


def check_search(out: Path) -> None:
    assert sorted(p.name for p in (out / "catalog").iterdir()) == ["black-backpack.png", "blue-sneaker.png",
                                                                   "green-vase.png", "red-mug.png", "yellow-lamp.png"]  # fmt: skip
    results = json.loads((out / "search-results.json").read_text())
    assert set(results["text"]) == {"a red coffee mug", "running shoes"}
    assert all(len(hits) == 5 for hits in results["text"].values())
    [image_hits] = results["image"].values()
    assert image_hits[0]["image"] == "red-mug.png"  # the query is the same picture: same pixels, same vector
    assert image_hits[0]["score"] > 0.999


def check_canvas(out: Path, stdout: str) -> None:
    sizes = {name: png(out / name).size for name in CANVAS_FILES}
    assert set(sizes.values()) == {(1024, 1024)}
    assert png(out / "background-removed.png").mode == "RGBA"
    assert "blocked as expected" in stdout and "content filters" in stdout
    assert not (out / "blocked.png").exists()


def check_copy(out: Path, stdout: str) -> None:
    assert (out / "product-copy.txt").read_text().strip()  # tiny-profile text is noise: only that there is text
    assert isinstance(json.loads((out / "product-descriptions.json").read_text()), list)
    assert "tokens" in stdout


IMAGE_CASES: dict[str, Callable[[Path, str], None]] = {
    "titan_embeddings_boto3.py": lambda out, _: check_search(out),
    "titan_embeddings_sdk.py": lambda out, _: check_search(out),
    "nova_canvas_boto3.py": check_canvas,
    "nova_canvas_sdk.py": check_canvas,
    "product_copy_boto3.py": check_copy,
    "product_copy_sdk.py": check_copy,
}


@pytest.mark.parametrize("script", list(IMAGE_CASES))
def test_image_example(script: str, tiny_server: LiveServer, tmp_path: Path, pulled) -> None:
    pulled("isnet-general-small")  # background removal's real weights on the tiny profile
    stdout = run(script, tmp_path, {"OUTCROP_URL": tiny_server.url})
    IMAGE_CASES[script](tmp_path, stdout)
    assert "wrote" in stdout


VIDEO_CASES: dict[str, tuple[bool, list[str]]] = {  # script -> (writes to the S3 bucket, videos it writes)
    "nova_reel_boto3.py": (True, ["text-to-video.mp4", "image-to-video.mp4"]),
    "nova_reel_sdk.py": (True, ["text-to-video/output.mp4", "image-to-video/output.mp4"]),
    "text_image_video_boto3.py": (True, ["pipeline-video.mp4"]),
    "text_image_video_sdk.py": (False, ["pipeline-video/output.mp4"]),  # the server's own output folder
}


@pytest.mark.parametrize("script", list(VIDEO_CASES))
def test_video_example(script: str, reel_server: LiveServer, s3_server: LocalS3, tmp_path: Path) -> None:
    uses_s3, videos = VIDEO_CASES[script]
    bucket = f"video-bucket-{uuid.uuid4().hex[:10]}"
    s3_server.client().create_bucket(Bucket=bucket)
    env = {"OUTCROP_URL": reel_server.url, "AWS_ENDPOINT_URL_S3": s3_server.endpoint,
           "AWS_ACCESS_KEY_ID": s3_server.key, "AWS_SECRET_ACCESS_KEY": s3_server.secret}  # fmt: skip
    stdout = run(script, tmp_path, env | ({"OUTCROP_BUCKET": bucket} if uses_s3 else {}), "--poll", "0.5")
    for video in videos:
        assert_video(tmp_path / video)
        if script.endswith("_sdk.py"):
            assert (tmp_path / video).with_name("manifest.json").is_file()
    first_frame = "first-frame.png" if script.startswith("nova_reel") else "pipeline-image.png"
    assert png(tmp_path / first_frame).size == (1280, 720)
    keys = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert sum(k.endswith("/output.mp4") for k in keys) == (len(videos) if uses_s3 else 0)
    assert stdout.count("wrote") >= len(videos)
