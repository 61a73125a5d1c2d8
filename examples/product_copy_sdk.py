"""Product copy through the SDK's chat call: the same "- item" list as product_copy_boto3.py, parsed the same way.

python examples/product_copy_sdk.py [--model amazon.nova-lite-v1:0] [--products 7] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import outcrop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="amazon.nova-lite-v1:0", help="or amazon.nova-micro-v1:0")
    parser.add_argument("--products", type=int, default=7)
    parser.add_argument("--max-tokens", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("outcrop-out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    prompt = (
        f"Generate a list of {args.products} home and fashion products, each in 3 colour variants. Answer with one "
        "line per variant, each starting with '- ', e.g. '- A red ceramic coffee mug with a glossy finish'."
    )
    with outcrop.Client(os.environ.get("OUTCROP_URL", "http://127.0.0.1:8686"), timeout=300) as client:
        reply = client.chat.create(prompt, model_id=args.model, system=["You write short, concrete catalogue copy."],
                                   temperature=0.0, maxTokens=args.max_tokens)  # fmt: skip
    descriptions = [match[0] for match in re.findall(r"- (.*?)($|\n)", reply.text)]
    print(f"{reply.output_tokens} tokens, {len(descriptions)} descriptions ({reply.stop_reason})")
    (args.out / "product-copy.txt").write_text(reply.text)
    (args.out / "product-descriptions.json").write_text(json.dumps(descriptions, indent=2))
    print(f"wrote {args.out / 'product-copy.txt'} and {args.out / 'product-descriptions.json'}")


if __name__ == "__main__":
    main()
