"""Titan Multimodal Embeddings lab through the Outcrop SDK: a knowledge base over a folder of product images,
searched by text and by image. The server reads the folder, so run this on the server's machine (or pass s3://).

    python examples/titan_embeddings_sdk.py [--images DIR] [--query "red coffee mug"] [--out ./outcrop-out]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import _inputs

import outcrop
from outcrop.sdk import SearchHit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", help="folder or s3://bucket/prefix of product images (default: generated samples)")
    parser.add_argument("--query", action="append", help="text query (repeatable)")
    parser.add_argument(
        "--kb",
        default="outcrop-example-titan-embeddings",
        help="knowledge base name (reused if it exists; the default is the example's own, so it never adds to yours)",
    )
    parser.add_argument("--out", type=Path, default=Path("outcrop-out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    source = args.images or _inputs.catalog(args.out / "catalog")[0].parent
    image_query = _inputs.product("red-mug", (512, 512))

    def ranked(hits: list[SearchHit]) -> list[dict[str, Any]]:
        return [{"image": Path(hit.uri).name, "score": round(hit.score or 0.0, 4)} for hit in hits]

    with outcrop.Client(os.environ.get("OUTCROP_URL", "http://127.0.0.1:8686")) as client:
        kb = next((kb for kb in client.knowledge_bases.list() if kb.name == args.kb), None)
        kb = kb or client.knowledge_bases.create(args.kb, model_id="amazon.titan-embed-image-v1", dimension=1024)
        run = client.knowledge_bases.ingest(kb.id, source)  # waits; re-running embeds only what changed
        if run.status != "COMPLETE":
            raise SystemExit(f"ingestion {run.status}: {run.error}")
        print(f"knowledge base {kb.name} ({kb.id}): {run.report}")
        queries = args.query or ["a red coffee mug", "running shoes"]
        results = {
            "text": {q: ranked(client.knowledge_bases.search(kb.id, q, k=5)) for q in queries},
            "image": {"red-mug": ranked(client.knowledge_bases.search(kb.id, image=image_query, k=5))},
        }
    for kind, searches in results.items():
        for query, hits in searches.items():
            print(f"{kind} query {query!r}: best match {hits[0]['image']} ({hits[0]['score']})")
    target = args.out / "search-results.json"
    target.write_text(json.dumps(results, indent=2))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
