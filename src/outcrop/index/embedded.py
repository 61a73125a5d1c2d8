"""The embedded VectorIndex: one folder holding a SQLite file and, past a size threshold, an HNSW graph.

SQLite (`index.sqlite`) is the source of truth: ids, metadata (JSON), the normalised vectors and a change
sequence number, all written in one transaction per batch. Search runs on an in-memory engine built from it
(embedded_engines.py): exact numpy search up to `exact_threshold` vectors (the common small knowledge base:
exact, and under a millisecond at 20k x 512), an hnswlib graph above it. The graph is only a cache of SQLite: it
is checkpointed to `graph-<seq>.hnsw` (temp file, fsync, os.replace), and reopening loads the newest checkpoint
and replays the records and tombstones written after its sequence number, so a crash never loses or half-writes
anything. Filters are evaluated by `filters.matches` on candidates in score order; when over-fetching from the
graph does not find k matches, every record's metadata is checked and the matches are searched exactly.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from outcrop import loop_guard
from outcrop.index.base import DimensionMismatchError, Hit, Metadata, Record, Vectors, normalized
from outcrop.index.embedded_engines import Engine, ExactEngine, GraphEngine, Labels, Scores
from outcrop.index.filters import Filter, matches

_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    label INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    vector BLOB NOT NULL, metadata TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS records_seq ON records (seq);
CREATE TABLE IF NOT EXISTS tombstones (label INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
"""
_UPSERT = """
INSERT INTO records (id, vector, metadata, seq) VALUES (?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET vector = excluded.vector, metadata = excluded.metadata, seq = excluded.seq
"""
_IN_LABELS = "label IN (SELECT value FROM json_each(?))"
_IN_IDS = "id IN (SELECT value FROM json_each(?))"
_Match = tuple[str, Metadata] | None  # a candidate's id and metadata when it passed the filter
_OVERFETCH_CAP = 4096  # largest ANN candidate list tried before a filtered search scans every record


class IndexLockedError(RuntimeError):
    """Another EmbeddedIndex (in this or another process) has the folder open."""


class EmbeddedIndex:
    """A VectorIndex persisted in one folder; one writer and many readers per process (one lock)."""

    def __init__(
        self,
        path: Path,
        db: sqlite3.Connection,
        lock_file: int,
        *,
        dimension: int,
        exact_threshold: int,
        ef_search: int,
    ) -> None:
        """Use `EmbeddedIndex.open`."""
        self.path = path
        self.dimension = dimension
        self._db = db
        self._lock_file: int | None = lock_file
        self._lock = threading.RLock()
        self._exact_threshold = exact_threshold
        self._ef_search = ef_search
        self._seq = self._info("seq") or 0
        self._unsaved = 0  # records changed since the graph was last checkpointed
        self._engine: Engine = self._load_engine()

    @classmethod
    def open(cls, path: Path, dimension: int, *, exact_threshold: int = 20_000, ef_search: int = 64) -> EmbeddedIndex:
        """Open or create the index in `path`; an existing index must hold vectors of `dimension`."""
        path.mkdir(parents=True, exist_ok=True)
        lock_file = os.open(path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_file)
            raise IndexLockedError(f"{path} is already open in another EmbeddedIndex") from None
        try:
            db = _connect(path / "index.sqlite", dimension)
        except BaseException:
            os.close(lock_file)
            raise
        return cls(path, db, lock_file, dimension=dimension, exact_threshold=exact_threshold, ef_search=ef_search)

    def upsert(self, records: Sequence[Record]) -> None:
        loop_guard.check("embedded vector index upsert")
        latest = {record.id: record for record in records}  # the last record of an id in a batch wins
        if not latest:
            return
        ids = list(latest)
        vectors = normalized(np.stack([_flat(r.vector, self.dimension) for r in latest.values()]), self.dimension)
        metadata = [json.dumps(dict(r.metadata), allow_nan=False, ensure_ascii=False) for r in latest.values()]
        with self._lock:
            seq = self._seq + 1
            with self._transaction():
                rows = zip(ids, (v.tobytes() for v in vectors), metadata, [seq] * len(ids), strict=True)
                self._db.executemany(_UPSERT, rows)
                self._set_info("seq", seq)
                labels = self._labels_of(ids)
            self._seq = seq
            self._engine.put(np.array([labels[i] for i in ids], np.int64), vectors)
            self._after_write(len(ids))

    def delete(self, ids: Sequence[str]) -> None:
        with self._lock:
            labels = self._labels_of(list(ids))
            if not labels:
                return
            seq = self._seq + 1
            with self._transaction():
                self._db.execute(f"DELETE FROM records WHERE {_IN_IDS}", (json.dumps(list(labels)),))
                if not self._engine.exact:  # the checkpointed graph still holds these labels
                    self._db.executemany("INSERT INTO tombstones VALUES (?, ?)", ((x, seq) for x in labels.values()))
                self._set_info("seq", seq)
            self._seq = seq
            self._engine.remove(np.array(list(labels.values()), np.int64))
            self._after_write(len(labels))

    def search(self, query: NDArray[np.float32], k: int, where: Filter | None = None) -> list[Hit]:
        loop_guard.check("embedded vector index search")
        q = _one(query, self.dimension)
        with self._lock:
            live = len(self._engine)
            if k <= 0 or live == 0:
                return []
            if self._engine.exact:  # with a filter, walk the full order until k records match
                found = self._engine.query(q, live if where is not None else min(k, live))
                assert found is not None
                return self._hits(*found, k, where)
            hits = self._graph_search(q, k, where, live)
            return hits if hits is not None else self._scan(q, k, where)

    def get(self, ids: Sequence[str]) -> list[Record]:
        with self._lock:
            sql = f"SELECT id, vector, metadata FROM records WHERE {_IN_IDS}"
            rows = {row[0]: row for row in self._db.execute(sql, (json.dumps(list(ids)),))}
        return [
            Record(id, np.frombuffer(rows[id][1], np.float32).copy(), json.loads(rows[id][2]))
            for id in ids
            if id in rows
        ]

    def keys(self, after: str | None, limit: int) -> list[str]:
        sql = "SELECT id FROM records WHERE id > ? ORDER BY id LIMIT ?"  # BINARY collation: UTF-8 byte order
        with self._lock:
            return [row[0] for row in self._db.execute(sql, (after or "", limit))]

    def count(self) -> int:
        with self._lock:
            return len(self._engine)

    @property
    def mode(self) -> str:
        """ "exact" (numpy, up to exact_threshold vectors) or "hnsw" (the graph)."""
        return "exact" if self._engine.exact else "hnsw"

    def checkpoint(self) -> None:
        """Write the graph (if any) to disk now, so that a reopen replays nothing."""
        with self._lock:
            if isinstance(self._engine, GraphEngine):
                self._save_graph(self._engine)

    def close(self) -> None:
        with self._lock:
            if self._lock_file is None:
                return
            if self._unsaved:
                self.checkpoint()
            self._db.close()
            os.close(self._lock_file)  # closing the descriptor releases the flock
            self._lock_file = None

    # -- engine lifecycle ---------------------------------------------------------------------------------------

    def _load_engine(self) -> Engine:
        for stale in self.path.glob("graph-*.tmp"):
            stale.unlink()  # a checkpoint that never reached os.replace
        graphs = sorted(self.path.glob("graph-*.hnsw"), key=_graph_seq)
        if graphs and _graph_seq(graphs[-1]) <= self._seq:
            return self._replay(graphs[-1])
        labels, vectors = self._all_vectors()
        if len(labels) > self._exact_threshold:
            graph = GraphEngine.build(self.dimension, labels, vectors, self._ef_search)
            self._save_graph(graph)
            return graph
        self._drop_graphs()  # a graph newer than SQLite's sequence (impossible with synchronous=FULL) is not trusted
        exact = ExactEngine(self.dimension)
        exact.put(labels, vectors)
        return exact

    def _replay(self, path: Path) -> Engine:
        since = _graph_seq(path)
        alive = {row[0] for row in self._db.execute("SELECT label FROM records")}
        gone = {row[0] for row in self._db.execute("SELECT label FROM tombstones WHERE seq > ?", (since,))}
        graph = GraphEngine.load(path, self.dimension, alive, gone, self._ef_search)
        labels, vectors = self._all_vectors("WHERE seq > ?", (since,))
        graph.put(labels, vectors)
        self._unsaved = len(labels) + len(gone)
        return graph

    def _after_write(self, changed: int) -> None:
        self._unsaved += changed
        engine, live = self._engine, len(self._engine)
        if isinstance(engine, ExactEngine) and live > self._exact_threshold:
            labels = engine.labels()
            self._engine = GraphEngine.build(self.dimension, labels, engine.vectors(labels), self._ef_search)
            self._save_graph(self._engine)
        elif isinstance(engine, GraphEngine) and live < self._exact_threshold // 2:
            labels, vectors = self._all_vectors()
            exact = ExactEngine(self.dimension)
            exact.put(labels, vectors)
            self._drop_graphs()
            self._engine, self._unsaved = exact, 0
        elif isinstance(engine, GraphEngine) and self._unsaved > max(10_000, live // 4):
            # bounds what a reopen after a crash replays (a quarter of the graph) against rewriting the whole
            # graph file: checkpoints write about 5x the final graph size over an ingestion that grows it
            self._save_graph(engine)

    def _save_graph(self, graph: GraphEngine) -> None:
        target = self.path / f"graph-{self._seq}.hnsw"
        temp = target.with_suffix(".tmp")
        graph.save(temp)
        _fsync(temp)
        os.replace(temp, target)
        _fsync(self.path)
        self._drop_graphs(keep=target)
        with self._transaction():
            self._db.execute("DELETE FROM tombstones WHERE seq <= ?", (self._seq,))
        self._unsaved = 0

    def _drop_graphs(self, keep: Path | None = None) -> None:
        for old in self.path.glob("graph-*.hnsw"):
            if old != keep:
                old.unlink()
        if keep is None:
            with self._transaction():
                self._db.execute("DELETE FROM tombstones")

    # -- reading ------------------------------------------------------------------------------------------------

    def _graph_search(self, query: Vectors, k: int, where: Filter | None, live: int) -> list[Hit] | None:
        """Over-fetch from the graph and post-filter, growing by the match rate seen; None: scan instead."""
        fetch, seen = (k if where is None else max(4 * k, 64)), dict[int, _Match]()
        while True:
            m = min(fetch, live)
            found = self._engine.query(query, m)
            if found is None:
                return None
            hits = self._hits(*found, k, where, seen)
            if len(hits) >= min(k, live):
                return hits
            if fetch >= _OVERFETCH_CAP or m >= live:
                return None
            fetch = min(_OVERFETCH_CAP, fetch * max(4, math.ceil(2 * k / max(len(hits), 1))))

    def _hits(
        self, labels: Labels, scores: Scores, k: int, where: Filter | None, seen: dict[int, _Match] | None = None
    ) -> list[Hit]:
        """Walk candidates best first, reading their rows in growing chunks, until k of them match.

        `seen` carries the verdicts on candidates already read between calls (label -> (id, metadata) or None).
        """
        seen = {} if seen is None else seen
        hits: list[Hit] = []
        start, chunk = 0, max(k, 16)
        while start < len(labels) and len(hits) < k:
            part = labels[start : start + chunk].tolist()
            self._judge([label for label in part if label not in seen], where, seen)
            for label, score in zip(part, scores[start : start + chunk].tolist(), strict=True):
                match = seen[label]
                if match is not None:
                    hits.append(Hit(match[0], score, match[1]))
                    if len(hits) == k:
                        break
            start, chunk = start + chunk, min(4 * chunk, 8192)
        return hits

    def _judge(self, labels: list[int], where: Filter | None, seen: dict[int, _Match]) -> None:
        seen.update(dict.fromkeys(labels))  # labels SQLite no longer has stay None
        sql = f"SELECT label, id, metadata FROM records WHERE {_IN_LABELS}"
        for label, id, text in self._db.execute(sql, (json.dumps(labels),)):
            metadata: Metadata = json.loads(text)
            if where is None or matches(where, metadata):
                seen[label] = (id, metadata)

    def _scan(self, query: Vectors, k: int, where: Filter | None) -> list[Hit]:
        """Exact search over every record that matches: the path for selective filters."""
        rows = self._db.execute("SELECT label, metadata FROM records")
        labels = np.array([r[0] for r in rows if where is None or matches(where, json.loads(r[1]))], np.int64)
        if len(labels) == 0:
            return []
        scores = self._engine.vectors(labels) @ query
        order = np.argsort(-scores, kind="stable")[:k]
        return self._hits(labels[order], scores[order], k, None)

    def _all_vectors(self, where: str = "", args: tuple[int, ...] = ()) -> tuple[Labels, Vectors]:
        rows = self._db.execute(f"SELECT label, vector FROM records {where}", args).fetchall()
        labels = np.array([r[0] for r in rows], np.int64)
        vectors = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), self.dimension)
        return labels, vectors

    def _labels_of(self, ids: list[str]) -> dict[str, int]:
        sql = f"SELECT id, label FROM records WHERE {_IN_IDS}"
        return dict(self._db.execute(sql, (json.dumps(ids),)).fetchall())

    def _info(self, key: str) -> int | None:
        row = self._db.execute("SELECT value FROM info WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def _set_info(self, key: str, value: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO info VALUES (?, ?)", (key, value))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _connect(file: Path, dimension: int) -> sqlite3.Connection:
    db = sqlite3.connect(file, check_same_thread=False, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")  # a checkpointed graph must never be ahead of SQLite
        db.executescript(_SCHEMA)
        db.execute("INSERT OR IGNORE INTO info VALUES ('dimension', ?)", (dimension,))
        stored = db.execute("SELECT value FROM info WHERE key = 'dimension'").fetchone()[0]
        if stored != dimension:
            raise DimensionMismatchError(f"{file.parent} holds {stored}-dimensional vectors, not {dimension}")
    except BaseException:
        db.close()
        raise
    return db


def _flat(vector: NDArray[Any], dimension: int) -> NDArray[np.float32]:
    array = np.asarray(vector, dtype=np.float32)
    if array.ndim != 1 or array.shape[0] != dimension:
        raise DimensionMismatchError(f"a vector of shape {array.shape}; this index holds {dimension} dimensions")
    return array


def _graph_seq(path: Path) -> int:
    return int(path.stem.removeprefix("graph-"))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _one(query: NDArray[Any], dimension: int) -> Vectors:
    rows = normalized(query, dimension)
    if len(rows) != 1:
        raise ValueError(f"search takes one query vector, not {len(rows)}")
    return rows.reshape(-1)
