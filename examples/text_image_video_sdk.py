"""Text -> image -> video through the Outcrop SDK: Nova Canvas draws a 1280x720 product shot from a prompt, Nova Reel
animates it (the image is the video's first frame), and the MP4 is downloaded through the server.

    python examples/text_image_video_sdk.py [--prompt TEXT] [--bucket video-bucket] [--out DIR]
"""

from __future__ import annotations

import argparse
import base64
import os
from pathlib import Path

import outcrop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default="a green glass vase with tulips on a sunlit windowsill")
    parser.add_argument(
        "--bucket",
        default=os.environ.get("OUTCROP_BUCKET"),
        help="write to s3://BUCKET (default: the server's own output location)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between status checks")
    parser.add_argument("--out", type=Path, default=Path("outcrop-out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with outcrop.Client(os.environ.get("OUTCROP_URL", "http://127.0.0.1:8686")) as client:
        # 1. text -> image: Reel takes a first frame of exactly 1280x720.
        png = client.images.generate(args.prompt, width=1280, height=720, seed=args.seed).pngs[0]
        (args.out / "pipeline-image.png").write_bytes(png)
        print(f"wrote {args.out / 'pipeline-image.png'}")

        # 2. image -> video
        model_input = {
            "taskType": "TEXT_VIDEO",
            "textToVideoParams": {
                "text": f"{args.prompt}, slow camera orbit",
                "images": [{"format": "png", "source": {"bytes": base64.b64encode(png).decode()}}],
            },
            "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": args.seed},
        }
        job = client.video.create(
            model_input, model_id="amazon.nova-reel-v1:0", output_uri=f"s3://{args.bucket}" if args.bucket else None
        )
        view = job.wait(poll_s=args.poll)
        if view.status != "Completed":
            raise SystemExit(f"{job.id} {view.status}: {view.failure_message}")

        # 3. fetch the video
        video = job.download(args.out / "pipeline-video")
        print(f"wrote {video} ({view.output_uri})")


if __name__ == "__main__":
    main()
