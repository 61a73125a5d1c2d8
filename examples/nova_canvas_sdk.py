"""Nova Canvas / Titan Image Generator v2 lab through the Outcrop SDK: every image task of the workshop, one PNG each.

python examples/nova_canvas_sdk.py [--model amazon.titan-image-generator-v2:0] [--seed 42] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import _inputs

import outcrop
from outcrop.sdk import GeneratedImages, OutcropAPIError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="amazon.nova-canvas-v1:0", help="or amazon.titan-image-generator-v2:0")
    parser.add_argument("--prompt", default="a red ceramic coffee mug on a wooden table, studio light")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--size", type=int, default=1024, help="width and height of generated images")
    parser.add_argument("--out", type=Path, default=Path("outcrop-out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    def save(name: str, result: GeneratedImages) -> None:
        target = args.out / name
        target.write_bytes(result.pngs[0])  # the signed, watermarked PNG exactly as the server wrote it
        print(f"wrote {target}")

    photo = _inputs.product("red-mug", (args.size, args.size))
    photo.save(args.out / "product.png")
    negative = "blurry, low quality, text, watermark"
    common = {"model_id": args.model, "seed": args.seed, "cfg_scale": 7.5, "width": args.size, "height": args.size}

    with outcrop.Client(os.environ.get("OUTCROP_URL", "http://127.0.0.1:8686")) as client:
        images = client.images
        save("text-to-image.png", images.generate(args.prompt, negative_prompt=negative, **common))
        save(
            "canny.png",
            images.generate(
                "a blue mug with gold rim",
                **common,
                conditioning={"image": photo, "mode": "CANNY_EDGE", "strength": 0.7},
            ),
        )
        save(
            "variation.png",
            images.vary(
                [photo], prompt="a mug in pastel colours", negative_prompt=negative, similarity_strength=0.7, **common
            ),
        )
        save(
            "inpainting.png",
            images.inpaint(photo, mask_prompt="mug", prompt="a glass teapot", negative_prompt=negative, **common),
        )
        framed, keep = _inputs.on_canvas(photo, (args.size, args.size))  # the mug, small, on a larger canvas
        save(
            "outpainting.png",
            images.outpaint(
                framed,
                "a mug on a sunny kitchen counter",
                mask=keep,
                mode="DEFAULT",
                model_id=args.model,
                cfg_scale=1.5,
                seed=321,
            ),
        )
        save(
            "color-guided.png",
            images.recolor("a modern coffee mug product shot", ["#FF9900", "#232F3E", "#FFFFFF"], **common),
        )
        save("background-removed.png", images.remove_background(photo, model_id=args.model))
        try:  # Responsible AI: a protected character in the prompt is refused, as on Bedrock
            save("blocked.png", images.generate("Mickey Mouse drinking coffee", model_id=args.model))
        except OutcropAPIError as error:
            print(f"blocked as expected: {error.code}: {error.message}")


if __name__ == "__main__":
    main()
