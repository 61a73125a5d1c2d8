"""Fixtures for the VectorIndex contract: `open_index` / `index` for every implementation, and a real PostgreSQL.

Implementations: the embedded index in its exact mode (the small-index default), the embedded index forced onto
its HNSW graph (exact_threshold=0), and pgvector on a PostgreSQL server started from PyPI pgserver's binaries
(see support/pg_local.py), one per test session, one table per test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from outcrop.index.base import VectorIndex

DIMENSION = 16
IMPLEMENTATIONS = ["embedded", "embedded-graph", "pgvector"]

OpenIndex = Callable[..., VectorIndex]


@pytest.fixture(params=IMPLEMENTATIONS)
def open_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenIndex]:
    """open_index(dimension=16) opens (or reopens, after close) the same storage; all are closed at the end."""
    opened: list[VectorIndex] = []
    make = _pgvector(request) if request.param == "pgvector" else _embedded(request.param, tmp_path / "index")

    def open_(dimension: int = DIMENSION) -> VectorIndex:
        index = make(dimension)
        opened.append(index)
        return index

    yield open_
    for index in opened:
        index.close()


@pytest.fixture
def index(open_index: OpenIndex) -> VectorIndex:
    return open_index()


def _embedded(kind: str, folder: Path) -> OpenIndex:
    from outcrop.index.embedded import EmbeddedIndex

    threshold = 0 if kind == "embedded-graph" else 20_000
    return lambda dimension: EmbeddedIndex.open(folder, dimension, exact_threshold=threshold)


def _pgvector(request: pytest.FixtureRequest) -> OpenIndex:
    dsn = request.getfixturevalue("postgres_dsn")  # started only when a pgvector case runs
    from outcrop.index.pgvector import PgVectorIndex

    table = f"contract_{uuid.uuid4().hex[:16]}"
    return lambda dimension: PgVectorIndex(dsn, table, dimension)
