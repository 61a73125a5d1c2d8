"""S3 Vectors buckets and indexes: one SQLite file (`registry.sqlite`) under the server's home.

The vectors themselves live in one VectorIndex per index (vector_buckets.py); this file only names them.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from outcrop.database import Database
from outcrop.errors import NotFoundError, VectorConflictError, VectorQuotaError
from outcrop.index.vector_space import Metric

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, created_at REAL NOT NULL, encryption TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS indexes (
    bucket TEXT NOT NULL REFERENCES buckets (name), name TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
    dimension INTEGER NOT NULL, metric TEXT NOT NULL, non_filterable TEXT NOT NULL, engine TEXT NOT NULL,
    scale REAL NOT NULL, created_at REAL NOT NULL, encryption TEXT NOT NULL, PRIMARY KEY (bucket, name));
"""
_INDEX_COLUMNS = "bucket, name, id, dimension, metric, non_filterable, engine, scale, created_at, encryption"
MAX_BUCKETS = 10_000  # per account and region, as AWS
MAX_INDEXES = 10_000  # per bucket


@dataclass(frozen=True)
class Bucket:
    name: str
    created_at: float
    encryption: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VectorIndexInfo:
    bucket: str
    name: str
    id: str  # names the storage: folder or table
    dimension: int
    metric: Metric
    non_filterable: tuple[str, ...]
    engine: str  # "embedded" or "pgvector"
    scale: float  # Euclidean indexes: see vector_space.py
    created_at: float
    encryption: dict[str, Any] = field(default_factory=dict)


class VectorRegistry:
    def __init__(self, path: Path) -> None:
        self._db = Database(path, _SCHEMA)

    def create_bucket(self, name: str, encryption: dict[str, Any]) -> Bucket:
        bucket = Bucket(name, time.time(), encryption)
        with self._db.transaction() as db:
            if db.execute("SELECT count(*) FROM buckets").fetchone()[0] >= MAX_BUCKETS:
                raise VectorQuotaError(f"This server holds {MAX_BUCKETS} vector buckets; delete one first.")
            try:
                db.execute("INSERT INTO buckets VALUES (?, ?, ?)", (name, bucket.created_at, json.dumps(encryption)))
            except sqlite3.IntegrityError:
                raise VectorConflictError(f"A vector bucket named {name} already exists.") from None
        return bucket

    def bucket(self, name: str) -> Bucket:
        with self._db.lock:
            row = self._db.connection.execute("SELECT * FROM buckets WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"The vector bucket {name} does not exist; create it with CreateVectorBucket.")
        return Bucket(row[0], row[1], json.loads(row[2]))

    def buckets(self, prefix: str, after: str, limit: int) -> list[Bucket]:
        sql = "SELECT * FROM buckets WHERE name > ? AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?"
        with self._db.lock:
            rows = self._db.connection.execute(sql, (after, len(prefix), prefix, limit)).fetchall()
        return [Bucket(row[0], row[1], json.loads(row[2])) for row in rows]

    def delete_bucket(self, name: str) -> None:
        with self._db.transaction() as db:
            self.bucket(name)
            if db.execute("SELECT 1 FROM indexes WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                raise VectorConflictError(
                    f"The vector bucket {name} is not empty; delete its indexes (ListIndexes, DeleteIndex) first."
                )
            db.execute("DELETE FROM buckets WHERE name = ?", (name,))

    def create_index(self, info: VectorIndexInfo) -> VectorIndexInfo:
        with self._db.transaction() as db:
            self.bucket(info.bucket)
            if db.execute("SELECT count(*) FROM indexes WHERE bucket = ?", (info.bucket,)).fetchone()[0] >= MAX_INDEXES:
                raise VectorQuotaError(f"The vector bucket {info.bucket} holds {MAX_INDEXES} indexes; delete one.")
            try:
                db.execute(f"INSERT INTO indexes ({_INDEX_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", _index_row(info))
            except sqlite3.IntegrityError:
                raise VectorConflictError(f"An index named {info.name} already exists in {info.bucket}.") from None
        return info

    def index(self, bucket: str, name: str) -> VectorIndexInfo:
        sql = f"SELECT {_INDEX_COLUMNS} FROM indexes WHERE bucket = ? AND name = ?"
        with self._db.lock:
            row = self._db.connection.execute(sql, (bucket, name)).fetchone()
        if row is None:
            self.bucket(bucket)
            raise NotFoundError(
                f"The index {name} does not exist in vector bucket {bucket}; create it with CreateIndex."
            )
        return _index(row)

    def indexes(self, bucket: str, prefix: str, after: str, limit: int) -> list[VectorIndexInfo]:
        self.bucket(bucket)
        sql = (
            f"SELECT {_INDEX_COLUMNS} FROM indexes WHERE bucket = ? AND name > ? AND substr(name, 1, ?) = ?"
            " ORDER BY name LIMIT ?"
        )
        with self._db.lock:
            rows = self._db.connection.execute(sql, (bucket, after, len(prefix), prefix, limit)).fetchall()
        return [_index(row) for row in rows]

    def delete_index(self, bucket: str, name: str) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM indexes WHERE bucket = ? AND name = ?", (bucket, name))

    def set_scale(self, info: VectorIndexInfo, scale: float) -> None:
        with self._db.transaction() as db:
            db.execute("UPDATE indexes SET scale = ? WHERE id = ?", (scale, info.id))

    def close(self) -> None:
        self._db.close()


def new_index_id() -> str:
    return uuid.uuid4().hex[:20]


def _index_row(info: VectorIndexInfo) -> tuple[Any, ...]:
    return (
        info.bucket, info.name, info.id, info.dimension, info.metric.value, json.dumps(info.non_filterable),
        info.engine, info.scale, info.created_at, json.dumps(info.encryption),
    )  # fmt: skip


def _index(row: tuple[Any, ...]) -> VectorIndexInfo:
    bucket, name, id, dimension, metric, non_filterable, engine, scale, created_at, encryption = row
    return VectorIndexInfo(
        bucket, name, id, dimension, Metric(metric), tuple(json.loads(non_filterable)), engine, scale, created_at,
        json.loads(encryption),
    )  # fmt: skip
