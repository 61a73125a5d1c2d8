"""Text -> image -> video through boto3: Nova Canvas draws a 1280x720 product shot from a prompt, Nova Reel animates
it (the image is the video's first frame), and the MP4 is fetched from S3.

    AWS_ENDPOINT_URL_S3=http://127.0.0.1:8333 python examples/text_image_video_boto3.py [--prompt TEXT] [--out DIR]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import time
from pathlib import Path

import boto3
from botocore.config import Config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default="a green glass vase with tulips on a sunlit windowsill")
    parser.add_argument("--bucket", default=os.environ.get("OUTCROP_BUCKET", "video-bucket"), help="must exist")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between status checks")
    parser.add_argument("--out", type=Path, default=Path("outcrop-out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", os.environ.get("OUTCROP_S3_ACCESS_KEY_ID", "local"))
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", os.environ.get("OUTCROP_S3_SECRET_ACCESS_KEY", "local"))
    runtime = boto3.client(
        "bedrock-runtime",
        endpoint_url=os.environ.get("OUTCROP_URL", "http://127.0.0.1:8686"),
        region_name=region,
        config=Config(read_timeout=300),
    )
    s3_url = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("OUTCROP_S3_ENDPOINT_URL")
    s3 = boto3.client("s3", endpoint_url=s3_url, region_name=region)

    # 1. text -> image: Reel takes a first frame of exactly 1280x720.
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": args.prompt},
        "imageGenerationConfig": {"numberOfImages": 1, "width": 1280, "height": 720, "seed": args.seed},
    }
    reply = json.loads(
        runtime.invoke_model(
            body=json.dumps(body),
            modelId="amazon.nova-canvas-v1:0",
            accept="application/json",
            contentType="application/json",
        )["body"].read()
    )
    image = reply["images"][0]
    (args.out / "pipeline-image.png").write_bytes(base64.b64decode(image))
    print(f"wrote {args.out / 'pipeline-image.png'}")

    # 2. image -> video
    model_input = {
        "taskType": "TEXT_VIDEO",
        "textToVideoParams": {
            "text": f"{args.prompt}, slow camera orbit",
            "images": [{"format": "png", "source": {"bytes": image}}],
        },
        "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": args.seed},
    }
    arn = runtime.start_async_invoke(
        modelId="amazon.nova-reel-v1:0",
        modelInput=model_input,
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{args.bucket}"}},
    )["invocationArn"]
    while (job := runtime.get_async_invoke(invocationArn=arn))["status"] == "InProgress":
        time.sleep(args.poll)
    if job["status"] != "Completed":
        raise SystemExit(f"{arn} {job['status']}: {job.get('failureMessage')}")

    # 3. fetch the video
    listing = s3.list_objects_v2(Bucket=args.bucket, Prefix=arn.split("/")[-1])
    key = next(obj["Key"] for obj in listing["Contents"] if obj["Key"].endswith(".mp4"))
    s3.download_file(args.bucket, key, str(args.out / "pipeline-video.mp4"))
    print(f"wrote {args.out / 'pipeline-video.mp4'} (s3://{args.bucket}/{key})")


if __name__ == "__main__":
    main()
