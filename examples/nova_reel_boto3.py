"""Nova Reel lab through boto3: text-to-video and image-to-video jobs written to an S3 bucket, polled until
Completed, then found with list_objects_v2 and downloaded.

    AWS_ENDPOINT_URL_S3=http://127.0.0.1:8333 python examples/nova_reel_boto3.py [--bucket video-bucket] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import _inputs
import boto3
from botocore.exceptions import ClientError

MODEL = "amazon.nova-reel-v1:0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", default=os.environ.get("OUTCROP_BUCKET"), help="default: video-bucket-<account>")
    parser.add_argument("--prompt", default="a red coffee mug on a wooden table, steam rising, slow dolly in")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between status checks")
    parser.add_argument("--out", type=Path, default=Path("outcrop-out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", os.environ.get("OUTCROP_S3_ACCESS_KEY_ID", "local"))
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", os.environ.get("OUTCROP_S3_SECRET_ACCESS_KEY", "local"))
    runtime = boto3.client(
        "bedrock-runtime", endpoint_url=os.environ.get("OUTCROP_URL", "http://127.0.0.1:8686"), region_name=region
    )
    # The S3 store the server writes to; boto3 also reads AWS_ENDPOINT_URL_S3 by itself.
    s3_url = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("OUTCROP_S3_ENDPOINT_URL")
    s3 = boto3.client("s3", endpoint_url=s3_url, region_name=region)
    if args.bucket is None:  # as the lab does: name the bucket after the account STS reports (Outcrop serves STS)
        sts = boto3.client(
            "sts", endpoint_url=os.environ.get("OUTCROP_URL", "http://127.0.0.1:8686"), region_name=region
        )
        args.bucket = f"video-bucket-{sts.get_caller_identity()['Account']}"
    try:
        s3.head_bucket(Bucket=args.bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] != "404":
            raise
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=args.bucket, **location)

    def start(params: dict[str, Any]) -> str:
        model_input = {
            "taskType": "TEXT_VIDEO",
            "textToVideoParams": params,
            "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": args.seed},
        }
        job = runtime.start_async_invoke(
            modelId=MODEL,
            modelInput=model_input,
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{args.bucket}"}},
        )
        print(f"started {job['invocationArn']}")
        return str(job["invocationArn"])

    def download(arn: str, name: str) -> None:
        while (job := runtime.get_async_invoke(invocationArn=arn))["status"] == "InProgress":
            time.sleep(args.poll)
        if job["status"] != "Completed":
            raise SystemExit(f"{arn} {job['status']}: {job.get('failureMessage')}")
        print(f"{arn} Completed in {(job['endTime'] - job['submitTime']).total_seconds():.1f} s")
        invocation_id = arn.rsplit("/", maxsplit=1)[-1]
        listing = s3.list_objects_v2(Bucket=args.bucket, Prefix=invocation_id)
        key = next(obj["Key"] for obj in listing["Contents"] if obj["Key"].endswith(".mp4"))
        s3.download_file(args.bucket, key, str(args.out / name))
        print(f"wrote {args.out / name} (s3://{args.bucket}/{key})")

    frame = _inputs.on_canvas(_inputs.product("red-mug", (720, 720)), (1280, 720), scale=1.0)[0]  # exactly 1280x720
    frame.save(args.out / "first-frame.png")
    text_job = start({"text": args.prompt})
    image_job = start({"text": args.prompt, "images": [{"format": "png", "source": {"bytes": _inputs.b64(frame)}}]})
    download(text_job, "text-to-video.mp4")
    download(image_job, "image-to-video.mp4")


if __name__ == "__main__":
    main()
