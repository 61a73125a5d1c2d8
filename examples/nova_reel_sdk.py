"""Nova Reel lab through the Outcrop SDK: text-to-video and image-to-video jobs, followed with a progress line and
downloaded through the server (no S3 client needed).

    python examples/nova_reel_sdk.py [--bucket video-bucket] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import _inputs

import outcrop
from outcrop.sdk import JobView, VideoJob

MODEL = "amazon.nova-reel-v1:0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bucket",
        default=os.environ.get("OUTCROP_BUCKET"),
        help="write to s3://BUCKET (default: the server's own output location)",
    )
    parser.add_argument("--prompt", default="a red coffee mug on a wooden table, steam rising, slow dolly in")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between status checks")
    parser.add_argument("--out", type=Path, default=Path("outcrop-out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    output_uri = f"s3://{args.bucket}" if args.bucket else None

    def model_input(params: dict[str, Any]) -> dict[str, Any]:
        return {
            "taskType": "TEXT_VIDEO",
            "textToVideoParams": params,
            "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": args.seed},
        }

    def progress(view: JobView) -> None:
        print(f"  {view.id} {view.status} {view.progress:.0f}%")

    def download(job: VideoJob, name: str) -> None:
        view = job.wait(poll_s=args.poll, on_progress=progress)
        if view.status != "Completed":
            raise SystemExit(f"{job.id} {view.status}: {view.failure_message}")
        video = job.download(args.out / name)  # output.mp4 and manifest.json
        print(f"wrote {video} ({view.output_uri})")

    frame = _inputs.on_canvas(_inputs.product("red-mug", (720, 720)), (1280, 720), scale=1.0)[0]  # exactly 1280x720
    frame.save(args.out / "first-frame.png")
    image = {"format": "png", "source": {"bytes": _inputs.b64(frame)}}
    with outcrop.Client(os.environ.get("OUTCROP_URL", "http://127.0.0.1:8686")) as client:
        text_job = client.video.create(model_input({"text": args.prompt}), model_id=MODEL, output_uri=output_uri)
        image_job = client.video.create(
            model_input({"text": args.prompt, "images": [image]}), model_id=MODEL, output_uri=output_uri
        )
        download(text_job, "text-to-video")
        download(image_job, "image-to-video")


if __name__ == "__main__":
    main()
