"""Product copy through Converse: the LLM step the embeddings lab describes (a "- item" list of product descriptions,
parsed with the lab's regex) run for real instead of hard-coded.

    python examples/product_copy_boto3.py [--model amazon.nova-lite-v1:0] [--products 7] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import boto3
from botocore.config import Config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="amazon.nova-lite-v1:0", help="or amazon.nova-micro-v1:0")
    parser.add_argument("--products", type=int, default=7)
    parser.add_argument("--max-tokens", type=int, default=500)
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
    prompt = (
        f"Generate a list of {args.products} home and fashion products, each in 3 colour variants. Answer with one "
        "line per variant, each starting with '- ', e.g. '- A red ceramic coffee mug with a glossy finish'."
    )
    response = runtime.converse(
        modelId=args.model,
        system=[{"text": "You write short, concrete catalogue copy for product photos."}],
        messages=[{"role": "user", "content": [{"text": prompt}]}],
        inferenceConfig={"temperature": 0.0, "maxTokens": args.max_tokens},
    )
    text = response["output"]["message"]["content"][0]["text"]
    descriptions = [match[0] for match in re.findall(r"- (.*?)($|\n)", text)]  # the lab's parser
    print(f"{response['usage']['outputTokens']} tokens, {len(descriptions)} descriptions ({response['stopReason']})")
    (args.out / "product-copy.txt").write_text(text)
    (args.out / "product-descriptions.json").write_text(json.dumps(descriptions, indent=2))
    print(f"wrote {args.out / 'product-copy.txt'} and {args.out / 'product-descriptions.json'}")


if __name__ == "__main__":
    main()
