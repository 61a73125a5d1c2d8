"""Nova Canvas / Titan Image Generator v2 lab through boto3: every image task of the workshop, one PNG each.

python examples/nova_canvas_boto3.py [--model amazon.titan-image-generator-v2:0] [--seed 42] [--out DIR]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
from pathlib import Path
from typing import Any

import _inputs
import boto3
from botocore.config import Config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="amazon.nova-canvas-v1:0", help="or amazon.titan-image-generator-v2:0")
    parser.add_argument("--prompt", default="a red ceramic coffee mug on a wooden table, studio light")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--size", type=int, default=1024, help="width and height of generated images")
    parser.add_argument("--out", type=Path, default=Path("outcrop-out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")  # any credentials do, unless the server verifies them
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    runtime = boto3.client(
        "bedrock-runtime",
        endpoint_url=os.environ.get("OUTCROP_URL", "http://127.0.0.1:8686"),
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        config=Config(read_timeout=300),
    )

    def invoke(name: str, body: dict[str, Any]) -> None:
        response = runtime.invoke_model(
            body=json.dumps(body), modelId=args.model, accept="application/json", contentType="application/json"
        )
        reply = json.loads(response.get("body").read())
        if reply.get("error"):
            raise SystemExit(f"{name}: {reply['error']}")
        target = args.out / name
        target.write_bytes(base64.b64decode(reply["images"][0]))
        print(f"wrote {target}")

    photo = _inputs.product("red-mug", (args.size, args.size))
    photo.save(args.out / "product.png")
    product = _inputs.b64(photo)
    negative = "blurry, low quality, text, watermark"
    config = {
        "numberOfImages": 1,
        "quality": "standard",
        "cfgScale": 7.5,
        "seed": args.seed,
        "width": args.size,
        "height": args.size,
    }

    invoke(
        "text-to-image.png",
        {
            "taskType": "TEXT_IMAGE",
            "imageGenerationConfig": config,
            "textToImageParams": {"text": args.prompt, "negativeText": negative},
        },
    )
    invoke(
        "canny.png",
        {
            "taskType": "TEXT_IMAGE",
            "imageGenerationConfig": config,
            "textToImageParams": {
                "text": "a blue mug with gold rim",
                "conditionImage": product,
                "controlMode": "CANNY_EDGE",
                "controlStrength": 0.7,
            },
        },
    )
    invoke(
        "variation.png",
        {
            "taskType": "IMAGE_VARIATION",
            "imageGenerationConfig": config,
            "imageVariationParams": {
                "text": "a mug in pastel colours",
                "negativeText": negative,
                "images": [product],
                "similarityStrength": 0.7,
            },
        },
    )
    invoke(
        "inpainting.png",
        {
            "taskType": "INPAINTING",
            "imageGenerationConfig": config,
            "inPaintingParams": {
                "image": product,
                "maskPrompt": "mug",
                "text": "a glass teapot",
                "negativeText": negative,
            },
        },
    )
    framed, keep = _inputs.on_canvas(photo, (args.size, args.size))  # the mug, small, on a larger canvas
    invoke(
        "outpainting.png",
        {
            "taskType": "OUTPAINTING",  # the workshop sends no width/height for outpainting
            "imageGenerationConfig": {"numberOfImages": 1, "quality": "standard", "cfgScale": 1.5, "seed": 321},
            "outPaintingParams": {
                "image": _inputs.b64(framed),
                "maskImage": _inputs.b64(keep),
                "text": "a mug on a sunny kitchen counter",
                "outPaintingMode": "DEFAULT",
            },
        },
    )
    invoke(
        "color-guided.png",
        {
            "taskType": "COLOR_GUIDED_GENERATION",
            "imageGenerationConfig": config,
            "colorGuidedGenerationParams": {
                "text": "a modern coffee mug product shot",
                "colors": ["#FF9900", "#232F3E", "#FFFFFF"],
            },
        },
    )
    invoke("background-removed.png", {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": product}})

    try:  # Responsible AI: a protected character in the prompt is refused, as on Bedrock
        invoke("blocked.png", {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "Mickey Mouse drinking coffee"}})
    except runtime.exceptions.ValidationException as error:
        print(f"blocked as expected: {error.response['Error']['Message']}")


if __name__ == "__main__":
    main()
