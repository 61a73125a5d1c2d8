"""A persistent, size-bounded cache of embeddings keyed by content hash + model space.

A repeated image (the same product photo ingested twice, or queried again) costs no model call. One vector is kept
per input, in the model's own basis at full length (`EmbedResult.full`), and each output length is derived from it;
a backend that gives no such vector is cached per length. Entries live in one SQLite file under OUTCROP_HOME; the
least recently used are evicted past `max_entries`.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from outcrop import loop_guard
from outcrop.backends.embedding_space import at_length
from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    key TEXT PRIMARY KEY,
    vector BLOB NOT NULL,
    tokens INTEGER NOT NULL,
    used REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS embeddings_used ON embeddings (used);
"""


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


def content_key(space: str, task: EmbedTask, length: int | None = None) -> str:
    """Hash of what determines the vector: the serving weights, the inputs (and `length`, for per-length entries)."""
    digest = hashlib.sha256()
    for part in (space, "full" if length is None else str(length), str(task.purpose), str(task.truncate)):
        digest.update(part.encode() + b"\0")
    if task.text is not None:
        digest.update(b"text\0" + task.text.encode())
    if task.image is not None:
        digest.update(f"image\0{task.image.mode}\0{task.image.size}\0".encode())
        digest.update(task.image.tobytes())
    return digest.hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path, max_entries: int = 200_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        loop_guard.watch_sqlite(self._db)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.stats = CacheStats()

    def lookup(self, space: str, task: EmbedTask) -> EmbedResult | None:
        """The task's embedding from a full-length entry (any output length) or a per-length one."""
        full = self._get(content_key(space, task))
        if full is not None:
            vector = at_length(full.vector, task.dimension)
            return EmbedResult(vector=vector, text_token_count=full.text_token_count, full=full.vector)
        return self._get(content_key(space, task, task.dimension))

    def store(self, space: str, task: EmbedTask, result: EmbedResult) -> None:
        if result.full is not None:
            self._put(content_key(space, task), result.full, result.text_token_count)
        else:
            self._put(content_key(space, task, task.dimension), result.vector, result.text_token_count)

    def _get(self, key: str) -> EmbedResult | None:
        with self._lock:
            row = self._db.execute("SELECT vector, tokens FROM embeddings WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.stats.misses += 1
                return None
            self.stats.hits += 1
            self._db.execute("UPDATE embeddings SET used = ? WHERE key = ?", (time.time(), key))
        return EmbedResult(vector=np.frombuffer(row[0], dtype=np.float32).copy(), text_token_count=int(row[1]))

    def _put(self, key: str, vector_in: NDArray[np.float32], tokens: int) -> None:
        vector = np.asarray(vector_in, dtype=np.float32).tobytes()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO embeddings (key, vector, tokens, used) VALUES (?, ?, ?, ?)",
                (key, vector, tokens, time.time()),
            )
            self._evict()

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM embeddings").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _evict(self) -> None:
        (count,) = self._db.execute("SELECT COUNT(*) FROM embeddings").fetchone()
        excess = int(count) - self.max_entries
        if excess > 0:
            self._db.execute(
                "DELETE FROM embeddings WHERE key IN (SELECT key FROM embeddings ORDER BY used LIMIT ?)", (excess,)
            )
