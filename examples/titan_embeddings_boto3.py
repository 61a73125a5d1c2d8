"""Titan Multimodal Embeddings lab through boto3: embed a folder of product images, then search it by text and by image.

python examples/titan_embeddings_boto3.py [--images DIR] [--query "red coffee mug"] [--out ./outcrop-out]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import _inputs
import boto3
import numpy as np
from botocore.config import Config

MODEL = "amazon.titan-embed-image-v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, help="folder of .png/.jpg product images (default: generated samples)")
    parser.add_argument("--query", action="append", help="text query (repeatable)")
    parser.add_argument("--out", type=Path, default=Path("outcrop-out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.images is None:
        paths = _inputs.catalog(args.out / "catalog")
    else:
        paths = sorted(p for p in args.images.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")  # any credentials do, unless the server verifies them
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    runtime = boto3.client(
        "bedrock-runtime",
        endpoint_url=os.environ.get("OUTCROP_URL", "http://127.0.0.1:8686"),
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        config=Config(read_timeout=300),
    )

    def embed(**inputs: str) -> np.ndarray:
        body = json.dumps({**inputs, "embeddingConfig": {"outputEmbeddingLength": 1024}})
        response = runtime.invoke_model(
            body=body, modelId=MODEL, accept="application/json", contentType="application/json"
        )
        return np.array(json.loads(response.get("body").read())["embedding"])

    def ranked(query: np.ndarray) -> list[dict[str, Any]]:
        scores = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))  # cosine similarity
        return [{"image": paths[i].name, "score": round(float(scores[i]), 4)} for i in np.argsort(-scores)]

    vectors = np.stack([embed(inputImage=_inputs.b64(path)) for path in paths])
    queries = args.query or ["a red coffee mug", "running shoes"]
    results = {
        "text": {q: ranked(embed(inputText=q)) for q in queries},
        "image": {paths[0].name: ranked(embed(inputImage=_inputs.b64(paths[0])))},
    }
    for kind, searches in results.items():
        for query, hits in searches.items():
            print(f"{kind} query {query!r}: best match {hits[0]['image']} ({hits[0]['score']})")
    target = args.out / "search-results.json"
    target.write_text(json.dumps(results, indent=2))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
