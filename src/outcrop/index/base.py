"""The VectorIndex protocol: vectors with metadata, cosine search, optional metadata filters.

One index holds one vector space (one model, one dimension). Implementations: the embedded default persisted
under OUTCROP_HOME, and PostgreSQL + pgvector beyond one machine. One contract test suite runs against both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from outcrop.index.filters import Filter

Metadata = Mapping[str, Any]
Vectors = NDArray[np.float32]


@dataclass(frozen=True)
class Record:
    """One stored vector. `vector` is L2-normalised by the index on the way in."""

    id: str
    vector: NDArray[np.float32]
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # cosine similarity, higher is closer
    metadata: Metadata


class DimensionMismatchError(ValueError):
    """A vector from another space was offered to an index; never mixed in."""


class VectorIndex(Protocol):
    dimension: int

    def upsert(self, records: Sequence[Record]) -> None:
        """Insert or replace records by id."""

    def delete(self, ids: Sequence[str]) -> None:
        """Remove records; unknown ids are ignored."""

    def search(self, query: NDArray[np.float32], k: int, where: Filter | None = None) -> list[Hit]:
        """The k nearest records by cosine similarity that satisfy `where`, best first."""

    def get(self, ids: Sequence[str]) -> list[Record]:
        """Records by id, in the given order; unknown ids are skipped."""

    def keys(self, after: str | None, limit: int) -> list[str]:
        """Up to `limit` ids in code-point order, starting after `after` (from the first when None)."""

    def count(self) -> int: ...

    def close(self) -> None: ...


def normalized(vectors: NDArray[Any], dimension: int) -> Vectors:
    """Float32, 2-D, L2-normalised rows; refuses vectors of another dimension."""
    array = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    if array.shape[1] != dimension:
        raise DimensionMismatchError(f"vectors have {array.shape[1]} dimensions; this index holds {dimension}")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return (array / np.where(norms == 0, 1, norms)).astype(np.float32)
