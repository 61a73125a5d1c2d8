"""Retrieve latency through the HTTP API, end to end: boto3 -> server -> query embedding -> index -> JSON.

    python bench/bench_retrieve_http.py [--n 1000000] [--queries 300]

Builds a knowledge base of --n synthetic clustered 1024-d vectors (see bench_retrieve.py for why clustered)
directly under a fresh OUTCROP_HOME, registered with the real offline embedding model
`outcrop.conse-lite0-minilm-v1`, so every Retrieve embeds its text query for real (queries are distinct
product-like phrases, so the embedding cache does not answer them). Then starts `outcrop serve` on 127.0.0.1 and
times unmodified boto3 `bedrock-agent-runtime.retrieve` calls, one at a time, after a warm-up. Printed next to the
in-process index search on the same vectors, which is what the HTTP path adds to. Recall is bench_retrieve.py's
job: text queries have no ground truth against synthetic vectors.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import httpx
import numpy as np
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_retrieve import clustered
from outcrop.index.base import Record
from outcrop.index.embedded import EmbeddedIndex
from outcrop.index.registry import Item, KnowledgeBase, Registry
from outcrop.index.sources import ItemKind

REPO = Path(__file__).resolve().parents[1]
MODEL, DIMENSION, SPACE = "outcrop.conse-lite0-minilm-v1", 1024, "conse:conse-lite0-minilm@1024"
WORDS = ["red", "blue", "suede", "leather", "canvas", "running", "winter", "linen", "wool", "vintage"]
THINGS = ["sneaker", "boot", "jacket", "backpack", "mug", "lamp", "scarf", "watch", "tote bag", "chair"]


def build(home: Path, n: int) -> str:
    kb_id = "BENCHKB001"
    registry = Registry(home / "kb" / "registry.sqlite")
    registry.add(KnowledgeBase(kb_id, "bench", "", MODEL, DIMENSION, "embedded", SPACE, time.time()))
    index = EmbeddedIndex.open(home / "kb" / kb_id / "index", DIMENSION)
    started = time.perf_counter()
    for start in range(0, n, 10_000):
        block = clustered(min(10_000, n - start), seed=start, clusters=max(n // 1000, 1))
        block = np.pad(block, ((0, 0), (0, DIMENSION - block.shape[1]))) if block.shape[1] < DIMENSION else block
        ids = [f"item-{start + i}" for i in range(len(block))]
        index.upsert([Record(i, v, {"n": start + j}) for j, (i, v) in enumerate(zip(ids, block, strict=True))])
        items = [Item(i, f"s3://bench/{i}.txt", 0, ItemKind.TEXT, f"synthetic item {i}") for i in ids]
        registry.put_document(kb_id, f"s3://bench/block-{start}", ItemKind.TEXT, str(start), items)
    index.close()
    registry.close()
    print(f"built {n:,} vectors in {time.perf_counter() - started:.1f} s")
    return kb_id


def serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OUTCROP_HOME": str(home), "OUTCROP_MODELS_PATH": str(REPO / ".cache" / "models"),
           "OUTCROP_EMBEDDING_CACHE_ENTRIES": "0", "OUTCROP_TORCH_THREADS": "1"}  # fmt: skip
    command = [sys.executable, "-m", "outcrop", "serve", "--port", str(port), "--log-level", "warning",
               "--preload", MODEL]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return process
        except httpx.ConnectError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def queries(count: int) -> list[str]:
    return [f"{WORDS[i % 10]} {WORDS[(i // 10) % 10]} {THINGS[(i // 100) % 10]} number {i}" for i in range(count)]


def time_http(port: int, kb_id: str, texts: list[str]) -> np.ndarray:
    agent = boto3.client("bedrock-agent-runtime", endpoint_url=f"http://127.0.0.1:{port}",
                         region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench",
                         config=Config(read_timeout=120))  # fmt: skip
    config = {"vectorSearchConfiguration": {"numberOfResults": 10}}
    for text in texts[:20]:
        agent.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": "warm-up " + text}, retrievalConfiguration=config)
    latencies = []
    for text in texts:
        started = time.perf_counter()
        reply = agent.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": text}, retrievalConfiguration=config)
        latencies.append(time.perf_counter() - started)
        assert len(reply["retrievalResults"]) == 10
    return np.array(latencies) * 1000


def time_index(home: Path, kb_id: str, count: int) -> np.ndarray:
    index = EmbeddedIndex.open(home / "kb" / kb_id / "index", DIMENSION)
    probes = np.pad(clustered(count, seed=987_654, clusters=100), ((0, 0), (0, DIMENSION - 512)))
    latencies = []
    for probe in probes:
        started = time.perf_counter()
        index.search(probe.astype(np.float32), 10)
        latencies.append(time.perf_counter() - started)
    index.close()
    return np.array(latencies) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--port", type=int, default=8797)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="outcrop-http-bench-") as tmp:
        home = Path(tmp)
        kb_id = build(home, args.n)
        index_ms = time_index(home, kb_id, args.queries)
        server = serve(home, args.port)
        try:
            http_ms = time_http(args.port, kb_id, queries(args.queries))
        finally:
            server.terminate()
            server.wait(30)
    print(f"\n{args.n:,} x {DIMENSION}-d vectors, k=10, {args.queries} sequential queries")
    print(f"{'path':<44}{'p50 ms':>10}{'p99 ms':>10}{'q/s':>8}")
    for name, ms in (("embedded index search, in process", index_ms),
                     ("boto3 Retrieve over HTTP (embeds the query)", http_ms)):  # fmt: skip
        print(f"{name:<44}{np.percentile(ms, 50):>10.2f}{np.percentile(ms, 99):>10.2f}{1000 / ms.mean():>8.1f}")


if __name__ == "__main__":
    main()
