"""S3 Vectors: vector buckets holding indexes of keyed float32 vectors with metadata, searched by cosine or
Euclidean distance with metadata filters.

Each index is one VectorIndex (the embedded index under OUTCROP_HOME/s3vectors, or a pgvector table when the
server has a PostgreSQL DSN; an index keeps the engine it was created on). A stored record holds the vector in
the index's space (vector_space.py), the filterable metadata encoded for filtering (vector_filters.py), and the
caller's vector and metadata as sent (`data`, `meta`), which GetVectors, ListVectors and reported distances use.
Every method blocks (SQLite, hnswlib, psycopg): async callers run them in a thread.
"""

from __future__ import annotations

import base64
import shutil
import threading
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from outcrop.errors import ValidationError
from outcrop.index.base import Record, VectorIndex
from outcrop.index.vector_filters import compile_filter, encode
from outcrop.index.vector_metadata import checked_metadata
from outcrop.index.vector_registry import Bucket, VectorIndexInfo, VectorRegistry, new_index_id
from outcrop.index.vector_space import Floats, Metric, distances, for_index, query_for_index, reach, stored_dimension

PGVECTOR_MAX_DIMENSION = 2000  # pgvector's HNSW bound on the stored dimension
_RESCALE_PAGE = 500


@dataclass(frozen=True)
class NewVector:
    key: str
    data: Sequence[float]
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class StoredVector:
    key: str
    data: Floats
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Match:
    key: str
    distance: float
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Segment:
    """ListVectors' parallel listing: keys whose CRC-32 modulo `count` is `index`."""

    count: int
    index: int

    def holds(self, key: str) -> bool:
        return zlib.crc32(key.encode()) % self.count == self.index


class VectorBuckets:
    def __init__(self, root: Path, pg_dsn: str | None = None) -> None:
        self.root = root
        self.pg_dsn = pg_dsn
        self.registry = VectorRegistry(root / "registry.sqlite")
        self._open: dict[str, VectorIndex] = {}
        self._lock = threading.Lock()  # guards _open and _writers
        self._writers: dict[str, threading.Lock] = {}  # one writer per index: a rescale rewrites every record

    # -- buckets and indexes -------------------------------------------------------------------------------------

    def create_bucket(self, name: str, encryption: dict[str, Any]) -> Bucket:
        return self.registry.create_bucket(name, encryption)

    def delete_bucket(self, name: str) -> None:
        self.registry.delete_bucket(name)

    def create_index(
        self, bucket: str, name: str, *, dimension: int, metric: Metric, non_filterable: Sequence[str],
        encryption: dict[str, Any],
    ) -> VectorIndexInfo:  # fmt: skip
        engine = "pgvector" if self.pg_dsn else "embedded"
        if engine == "pgvector" and stored_dimension(metric, dimension) > PGVECTOR_MAX_DIMENSION:
            most = PGVECTOR_MAX_DIMENSION - stored_dimension(metric, 0)
            raise ValidationError(
                f"dimension {dimension}: {metric} indexes on this server's pgvector hold at most {most} dimensions "
                "(the HNSW limit); send a smaller dimension, or run the server without OUTCROP_PG_DSN for up to 4096."
            )
        info = VectorIndexInfo(bucket, name, new_index_id(), dimension, metric, tuple(non_filterable), engine,
                               1.0, time.time(), encryption)  # fmt: skip
        self.registry.create_index(info)
        try:
            self._index(info)
        except BaseException:
            self.registry.delete_index(bucket, name)
            raise
        return info

    def delete_index(self, bucket: str, name: str) -> None:
        info = self.registry.index(bucket, name)
        with self._writer(info):
            self.registry.delete_index(bucket, name)
            with self._lock:
                index = self._open.pop(info.id, None)
            if index is not None:
                index.close()
            self._drop(info)

    # -- vectors ---------------------------------------------------------------------------------------------------

    def put(self, bucket: str, name: str, vectors: Sequence[NewVector]) -> None:
        info = self.registry.index(bucket, name)
        data = _matrix([v.data for v in vectors], info, "vectors")
        metadata = [checked_metadata(v.metadata, info.non_filterable, f"vectors[{i}].metadata")
                    for i, v in enumerate(vectors)]  # fmt: skip
        with self._writer(info):
            info = self.registry.index(bucket, name)
            if info.metric is Metric.EUCLIDEAN and reach(data) > info.scale:
                info = self._rescale(info, 2 * reach(data))
            stored = for_index(info.metric, data, info.scale)
            records = [_record(v.key, row, original, meta, info.non_filterable)
                       for v, row, original, meta in zip(vectors, stored, data, metadata, strict=True)]  # fmt: skip
            self._index(info).upsert(records)

    def get(self, bucket: str, name: str, keys: Sequence[str]) -> list[StoredVector]:
        index = self._index(self.registry.index(bucket, name))
        return [_stored(record) for record in index.get(list(dict.fromkeys(keys)))]

    def delete(self, bucket: str, name: str, keys: Sequence[str]) -> None:
        info = self.registry.index(bucket, name)
        with self._writer(info):
            self._index(info).delete(list(keys))

    def list_vectors(
        self, bucket: str, name: str, after: str | None, limit: int, segment: Segment | None = None
    ) -> tuple[list[StoredVector], str | None]:
        """One page in key order and the key to continue after (None at the end)."""
        index = self._index(self.registry.index(bucket, name))
        keys: list[str] = []
        while len(keys) < limit:
            batch = index.keys(after, max(limit, 256))
            if not batch:
                return self._records(index, keys), None
            for key in batch:
                after = key
                if segment is None or segment.holds(key):
                    keys.append(key)
                    if len(keys) == limit:
                        break
        more = bool(index.keys(after, 1))
        return self._records(index, keys), after if more else None

    def query(
        self, bucket: str, name: str, vector: Sequence[float], top_k: int, filter: Mapping[str, Any] | None = None
    ) -> tuple[Metric, list[Match]]:
        info = self.registry.index(bucket, name)
        query = _matrix([vector], info, "queryVector")[0]
        where = compile_filter(filter) if filter is not None else None
        hits = self._index(info).search(query_for_index(info.metric, query), top_k, where)
        found = [_stored(Record(hit.id, np.zeros(0, np.float32), hit.metadata)) for hit in hits]
        if not found:
            return info.metric, []
        far = distances(info.metric, query, np.stack([v.data for v in found]))
        order = np.argsort(far, kind="stable")
        return info.metric, [Match(found[i].key, float(far[i]), found[i].metadata) for i in order.tolist()]

    def close(self) -> None:
        with self._lock:
            opened, self._open = list(self._open.values()), {}
        for index in opened:
            index.close()
        self.registry.close()

    # -- storage -------------------------------------------------------------------------------------------------

    def _index(self, info: VectorIndexInfo) -> VectorIndex:
        with self._lock:
            if info.id not in self._open:
                self._open[info.id] = self._open_storage(info)
            return self._open[info.id]

    def _open_storage(self, info: VectorIndexInfo) -> VectorIndex:
        dimension = stored_dimension(info.metric, info.dimension)
        if info.engine == "pgvector":
            from outcrop.index.pgvector import PgVectorIndex

            return PgVectorIndex(self._dsn(), _table(info), dimension)
        from outcrop.index.embedded import EmbeddedIndex

        return EmbeddedIndex.open(self.root / "indexes" / info.id, dimension)

    def _drop(self, info: VectorIndexInfo) -> None:
        if info.engine == "pgvector":
            import psycopg

            with psycopg.connect(self._dsn(), autocommit=True) as conn:
                conn.execute(f'DROP TABLE IF EXISTS "{_table(info)}"')  # the name is [a-z0-9_] only
            return
        shutil.rmtree(self.root / "indexes" / info.id, ignore_errors=True)

    def _dsn(self) -> str:
        if not self.pg_dsn:
            raise ValidationError("This index lives in pgvector; start the server with OUTCROP_PG_DSN to use it.")
        return self.pg_dsn

    def _writer(self, info: VectorIndexInfo) -> threading.Lock:
        with self._lock:
            return self._writers.setdefault(info.id, threading.Lock())

    def _rescale(self, info: VectorIndexInfo, scale: float) -> VectorIndexInfo:
        """Re-encode every stored Euclidean vector for a larger reach (doubling keeps this rare)."""
        self.registry.set_scale(info, scale)
        info = self.registry.index(info.bucket, info.name)
        index, after = self._index(info), None
        while keys := index.keys(after, _RESCALE_PAGE):
            after = keys[-1]
            old = [_stored(record) for record in index.get(keys)]
            stored = for_index(info.metric, np.stack([v.data for v in old]), scale)
            rows = zip(old, stored, strict=True)
            index.upsert([_record(v.key, row, v.data, v.metadata, info.non_filterable) for v, row in rows])
        return info

    def _records(self, index: VectorIndex, keys: list[str]) -> list[StoredVector]:
        return [_stored(record) for record in index.get(keys)] if keys else []


def _matrix(rows: Sequence[Sequence[float]], info: VectorIndexInfo, where: str) -> Floats:
    """Validated float32 rows of the index's dimension."""
    for i, row in enumerate(rows):
        if not all(isinstance(v, Real) and not isinstance(v, bool | np.bool_) for v in row):
            raise ValidationError(f"{where}[{i}] must hold numbers only (float32 values), not strings or booleans.")
        if len(row) != info.dimension:
            raise ValidationError(
                f"{where}[{i}] has {len(row)} dimensions; index {info.name} holds {info.dimension}-dimensional "
                f"vectors. Send {info.dimension} float32 values."
            )
    with np.errstate(over="ignore"):
        data = np.asarray(rows, np.float32).reshape(len(rows), info.dimension)
    bad = ~np.isfinite(data).all(axis=1)
    if bad.any():
        raise ValidationError(f"{where}[{int(np.argmax(bad))}] holds NaN or an infinity (or a value beyond float32).")
    zero = ~data.any(axis=1)
    if info.metric is Metric.COSINE and zero.any():
        raise ValidationError(f"{where}[{int(np.argmax(zero))}] is all zeros, which has no cosine distance.")
    return data


def _record(key: str, row: Floats, original: Floats, metadata: dict[str, Any], non_filterable: Sequence[str]) -> Record:
    filterable = {k: v for k, v in metadata.items() if k not in non_filterable}
    blob = base64.b64encode(np.asarray(original, "<f4").tobytes()).decode()
    return Record(key, row, {**encode(filterable), "meta": metadata, "data": blob})


def _stored(record: Record) -> StoredVector:
    data = np.frombuffer(base64.b64decode(record.metadata["data"]), "<f4").astype(np.float32)
    return StoredVector(record.id, data, dict(record.metadata["meta"]))


def _table(info: VectorIndexInfo) -> str:
    return f"outcrop_s3v_{info.id}"
