"""Cosine and Euclidean S3 Vectors indexes on VectorIndex implementations that only rank by cosine.

Both VectorIndex implementations L2-normalise what they store and rank by cosine similarity. A cosine index
stores its vectors as they are. A Euclidean index stores each x as the unit vector

    (x, -|x|^2 / 2, sqrt(R^2 - |x|^2 - |x|^4 / 4)) / R        and queries with (q, 1, 0),

whose cosine is (x.q - |x|^2 / 2) / (R |(q, 1)|) = (|q|^2 - |x - q|^2) / (2 R |(q, 1)|): for a given query it
falls as the Euclidean distance grows, so the index's cosine order is the Euclidean order, exactly, with its
filters and its HNSW graph unchanged. R (the index's `scale`) must be at least every stored vector's `reach`;
the owner re-encodes the index with a larger R when a vector needs one. Distances reported to callers are
recomputed in float64 from the original vectors.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float32]


class Metric(StrEnum):
    COSINE = "cosine"
    EUCLIDEAN = "euclidean"


def stored_dimension(metric: Metric, dimension: int) -> int:
    return dimension + 2 if metric is Metric.EUCLIDEAN else dimension


def reach(vectors: NDArray[Any]) -> float:
    """The smallest scale that can hold every row (0 for cosine-only use)."""
    squared = np.sum(np.asarray(vectors, np.float64) ** 2, axis=1)
    return float(np.sqrt(np.max(squared + squared**2 / 4))) if len(squared) else 0.0


def for_index(metric: Metric, vectors: Floats, scale: float) -> Floats:
    """Rows as the index stores them."""
    if metric is Metric.COSINE:
        return vectors
    x = np.asarray(vectors, np.float64)
    squared = np.sum(x**2, axis=1, keepdims=True)
    rest = np.sqrt(np.maximum(scale**2 - squared - squared**2 / 4, 0.0))
    return (np.hstack([x, -squared / 2, rest]) / scale).astype(np.float32)


def query_for_index(metric: Metric, query: Floats) -> Floats:
    if metric is Metric.COSINE:
        return query
    return np.concatenate([query, np.array([1.0, 0.0], np.float32)])


def distances(metric: Metric, query: Floats, vectors: Floats) -> NDArray[np.float64]:
    """Cosine distance (1 - cosine similarity) or Euclidean distance of each row to the query."""
    q, x = np.asarray(query, np.float64), np.asarray(vectors, np.float64).reshape(-1, len(query))
    if metric is Metric.EUCLIDEAN:
        result: NDArray[np.float64] = np.linalg.norm(x - q, axis=1)
        return result
    norms = np.linalg.norm(x, axis=1) * np.linalg.norm(q)
    return 1.0 - (x @ q) / np.where(norms == 0, 1.0, norms)
