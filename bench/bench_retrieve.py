"""Retrieval speed and quality: the embedded index (and optionally pgvector) against exact FAISS, same run.

    python bench/bench_retrieve.py [--n 1000000] [--queries 1000] [--pgvector | --dsn DSN] [--libraries]

For each contender: build time (every vector upserted in batches, as an ingestion does), single-query latency
(p50/p99) and queries/s on one thread, and recall@10 against exact search (`faiss-cpu` IndexFlatIP, the
reference, which is also timed). A second row per index runs the same queries with a metadata filter that 1% of
the records match, its recall measured against exact search over those records.

Data: 512-d vectors drawn from a Gaussian mixture in a 32-d latent space (n/1000 clusters), projected to 512-d
and given isotropic noise. Uniform random vectors would make the benchmark meaningless: in 512 dimensions all
their pairwise similarities crowd around 0 (the 1st and 100th neighbour of a query differ by ~0.05), so "the
true 10 nearest" is almost arbitrary and HNSW recall stays under 0.4 at any ef. Real embeddings have a low
intrinsic dimension and clusters of related documents; here the 1st/10th/100th neighbours sit at cosine
~0.91/0.89/0.85, like related chunks of text do. Queries come from the same distribution (fresh draws).

--pgvector starts PostgreSQL from PyPI pgserver as the tests do (tests/support/pg_local.py, with fsync on);
--dsn uses a server you run. --libraries compares the ANN libraries the embedded index could use (hnswlib,
usearch, FAISS HNSW) directly, which is how hnswlib was chosen (see src/outcrop/index/embedded_engines.py).
Needs: pip install -e '.[bench,pgvector]' (faiss-cpu; usearch only for --libraries).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from outcrop.index.base import Record, VectorIndex
from outcrop.index.embedded import EmbeddedIndex
from outcrop.index.filters import Filter, parse_filter

REPO = Path(__file__).resolve().parents[1]
DIMENSION = 512
K = 10
BATCH = 10_000
GROUPS = 100  # records carry {"group": i % 100}; the filtered rows ask for one group (1%)
Search = Callable[[np.ndarray], list[int]]  # one query -> ids of the k best, best first


@dataclass
class Row:
    name: str
    build_s: float | None
    qps: float
    p50_ms: float
    p99_ms: float
    recall: float


def clustered(n: int, seed: int, clusters: int, latent: int = 32, noise: float = 0.1) -> np.ndarray:
    """n unit vectors: mixture means and the projection depend on `clusters` only, the draws on `seed`."""
    shape_rng = np.random.default_rng(1000 + clusters)
    means = 2.0 * shape_rng.standard_normal((clusters, latent)).astype(np.float32)
    projection = shape_rng.standard_normal((latent, DIMENSION)).astype(np.float32) / np.sqrt(latent)
    rng, out = np.random.default_rng(seed), np.empty((n, DIMENSION), np.float32)
    for start in range(0, n, 50_000):
        size = min(50_000, n - start)
        z = means[rng.integers(0, clusters, size)] + rng.standard_normal((size, latent)).astype(np.float32)
        x = z @ projection + noise * rng.standard_normal((size, DIMENSION)).astype(np.float32)
        out[start : start + size] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def time_queries(name: str, search: Search, queries: np.ndarray, truth: np.ndarray, build_s: float | None) -> Row:
    """The seam every contender goes through (an HTTP Retrieve client is one more `search`)."""
    search(queries[0])  # warm-up
    latencies, found = [], []
    for query in queries:
        start = time.perf_counter()
        found.append(search(query))
        latencies.append(time.perf_counter() - start)
    recall = float(np.mean([len(set(f[:K]) & set(t[:K].tolist())) / K for f, t in zip(found, truth, strict=True)]))
    ms = np.array(latencies) * 1e3
    return Row(name, build_s, len(queries) / sum(latencies), *np.percentile(ms, [50, 99]).tolist(), recall)


def exact_truth(data: np.ndarray, queries: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
    """Top-K ids by exact inner product (FAISS flat), over all rows or over `ids` only."""
    subset = data if ids is None else data[ids]
    flat = faiss.IndexFlatIP(DIMENSION)
    flat.add(subset)
    _, found = flat.search(queries, K)
    return found if ids is None else ids[found]


def faiss_exact_row(data: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> Row:
    start = time.perf_counter()
    flat = faiss.IndexFlatIP(DIMENSION)
    flat.add(data)
    build = time.perf_counter() - start
    faiss.omp_set_num_threads(1)  # single queries on one thread, like the others
    sample = max(20, min(len(queries), 20_000_000 // len(data)))  # exact search is slow: about 5 s of it

    def search(query: np.ndarray) -> list[int]:
        return flat.search(query[None], K)[1][0].tolist()

    row = time_queries("faiss exact (IndexFlatIP)", search, queries[:sample], truth[:sample], build)
    faiss.omp_set_num_threads(0)
    return row


def load(index: VectorIndex, data: np.ndarray, batch: int = BATCH) -> float:
    start = time.perf_counter()
    for first in range(0, len(data), batch):
        part = range(first, min(first + batch, len(data)))
        index.upsert([Record(str(i), data[i], {"group": i % GROUPS}) for i in part])
    return time.perf_counter() - start


def index_rows(
    name: str, index: VectorIndex, build_s: float, queries: np.ndarray, truths: Sequence[np.ndarray]
) -> list[Row]:
    where = parse_filter({"equals": {"key": "group", "value": 7}})

    def searcher(where: Filter | None) -> Search:
        return lambda q: [int(hit.id) for hit in index.search(q, K, where)]

    return [
        time_queries(name, searcher(None), queries, truths[0], build_s),
        time_queries(f"{name}, 1% filter", searcher(where), queries, truths[1], None),
    ]


def embedded_rows(data: np.ndarray, queries: np.ndarray, truths: Sequence[np.ndarray]) -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="bench-embedded-"))
    try:
        index = EmbeddedIndex.open(folder, DIMENSION)
        build = load(index, data)
        index.close()
        start = time.perf_counter()
        index = EmbeddedIndex.open(folder, DIMENSION)
        print(f"embedded: built in {build:.1f} s, reopened in {time.perf_counter() - start:.2f} s", flush=True)
        rows = index_rows(f"embedded ({index.mode})", index, build, queries, truths)
        index.close()
        return rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres(dsn: str | None) -> Iterator[str]:
    if dsn is not None:
        yield dsn
        return
    sys.path.insert(0, str(REPO / "tests"))
    from support.pg_local import local_postgres

    with local_postgres(fsync=True) as started:
        yield started


def pgvector_rows(dsn: str, data: np.ndarray, queries: np.ndarray, truths: Sequence[np.ndarray]) -> list[Row]:
    import psycopg
    from psycopg import sql

    from outcrop.index.pgvector import PgVectorIndex

    table = f"bench_{int(time.time())}"
    index = PgVectorIndex(dsn, table, DIMENSION)
    try:
        build = load(index, data, batch=1_000)
        print(f"pgvector: built in {build:.1f} s", flush=True)
        rows = []
        for ef in (40, 100):
            index.ef_search = ef
            rows += index_rows(f"pgvector (HNSW, ef {ef})", index, build, queries, truths)
        return rows
    finally:
        index.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))


def library_rows(data: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> list[Row]:
    """The raw libraries with the same graph settings (M=16, efConstruction=100), built on 2 threads."""
    return [
        *hnswlib_rows(data, queries, truth),
        *usearch_rows(data, queries, truth),
        *faiss_hnsw_rows(data, queries, truth),
    ]


def hnswlib_rows(data: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> list[Row]:
    import hnswlib

    start = time.perf_counter()
    graph = hnswlib.Index(space="ip", dim=DIMENSION)
    graph.init_index(max_elements=len(data), M=16, ef_construction=100, allow_replace_deleted=True)
    graph.add_items(data, np.arange(len(data)), num_threads=2)
    build = time.perf_counter() - start

    def search(query: np.ndarray) -> list[int]:
        return graph.knn_query(query, K, num_threads=1)[0][0].tolist()

    rows = []
    for ef in (32, 64, 128):
        graph.set_ef(ef)
        rows.append(time_queries(f"hnswlib ef {ef}", search, queries, truth, build))
    return rows


def usearch_rows(data: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> list[Row]:
    from usearch.index import Index

    start = time.perf_counter()
    graph = Index(ndim=DIMENSION, metric="ip", dtype="f32", connectivity=16, expansion_add=100)
    graph.add(np.arange(len(data)), data, threads=2)
    build = time.perf_counter() - start

    def search(query: np.ndarray) -> list[int]:
        return graph.search(query, K, threads=1).keys.tolist()

    rows = []
    for ef in (32, 64, 128):
        graph.expansion_search = ef
        rows.append(time_queries(f"usearch ef {ef}", search, queries, truth, build))
    return rows


def faiss_hnsw_rows(data: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> list[Row]:
    faiss.omp_set_num_threads(2)
    start = time.perf_counter()
    graph = faiss.IndexHNSWFlat(DIMENSION, 16, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = 100
    graph.add(data)
    build = time.perf_counter() - start
    faiss.omp_set_num_threads(1)

    def search(query: np.ndarray) -> list[int]:
        return graph.search(query[None], K)[1][0].tolist()

    rows = []
    for ef in (32, 64, 128):
        graph.hnsw.efSearch = ef
        rows.append(time_queries(f"faiss HNSW ef {ef}", search, queries, truth, build))
    faiss.omp_set_num_threads(0)
    return rows


def print_table(rows: list[Row]) -> None:
    print(f"\n| {'index':<38} | build s | queries/s | p50 ms | p99 ms | recall@10 |")
    print(f"|{'-' * 40}|---------|-----------|--------|--------|-----------|")
    for r in rows:
        build = "" if r.build_s is None else f"{r.build_s:.1f}"
        print(f"| {r.name:<38} | {build:>7} | {r.qps:>9.0f} | {r.p50_ms:>6.2f} | {r.p99_ms:>6.2f} | {r.recall:>9.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="vectors in the index")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pgvector", action="store_true", help="also pgvector, on a server started here")
    parser.add_argument("--dsn", help="also pgvector, on this server (psycopg DSN)")
    parser.add_argument("--libraries", action="store_true", help="compare hnswlib, usearch and FAISS HNSW instead")
    args = parser.parse_args()

    clusters = max(args.n // 1000, 10)
    start = time.perf_counter()
    data = clustered(args.n, args.seed, clusters)
    queries = clustered(args.queries, args.seed + 1, clusters)
    in_group = np.flatnonzero(np.arange(args.n) % GROUPS == 7)
    truths = [exact_truth(data, queries), exact_truth(data, queries, in_group)]
    print(
        f"{args.n:,} x {DIMENSION} vectors, {clusters} clusters, {args.queries} queries, k={K}; "
        f"data and ground truth in {time.perf_counter() - start:.1f} s",
        flush=True,
    )

    if args.libraries:
        print_table([faiss_exact_row(data, queries, truths[0]), *library_rows(data, queries, truths[0])])
        return
    rows = [faiss_exact_row(data, queries, truths[0]), *embedded_rows(data, queries, truths)]
    print_table(rows)
    if args.pgvector or args.dsn:
        with postgres(args.dsn) as dsn:
            rows += pgvector_rows(dsn, data, queries, truths)
        print_table(rows)


if __name__ == "__main__":
    main()
