"""The knowledge-base registry in SQLite: bases, their documents and items (chunks), ingestion runs."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from outcrop.database import Database
from outcrop.index.sources import ItemKind

_ALPHABET = string.ascii_uppercase + string.digits
_SCHEMA = """
CREATE TABLE IF NOT EXISTS knowledge_bases (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL, model_id TEXT NOT NULL,
    dimension INTEGER NOT NULL, index_kind TEXT NOT NULL, space TEXT, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    kb_id TEXT NOT NULL, uri TEXT NOT NULL, kind TEXT NOT NULL, content_hash TEXT NOT NULL,
    PRIMARY KEY (kb_id, uri)
);
CREATE TABLE IF NOT EXISTS items (
    kb_id TEXT NOT NULL, id TEXT NOT NULL, uri TEXT NOT NULL, chunk INTEGER NOT NULL, kind TEXT NOT NULL,
    text TEXT, metadata TEXT NOT NULL, PRIMARY KEY (kb_id, id)
);
CREATE INDEX IF NOT EXISTS items_uri ON items (kb_id, uri);
CREATE TABLE IF NOT EXISTS ingestions (
    id TEXT PRIMARY KEY, kb_id TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL,
    report TEXT NOT NULL, error TEXT, started_at REAL NOT NULL, ended_at REAL
);
"""


@dataclass(frozen=True)
class KnowledgeBase:
    id: str
    name: str
    description: str
    model_id: str
    dimension: int
    index_kind: str
    space: str | None
    created_at: float


@dataclass(frozen=True)
class Item:
    """One searchable unit: a whole image, or one chunk of a text document."""

    id: str
    uri: str
    chunk: int
    kind: ItemKind
    text: str | None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ingestion:
    id: str
    kb_id: str
    source: str
    status: str  # IN_PROGRESS | COMPLETE | FAILED
    report: dict[str, int]
    error: str | None
    started_at: float
    ended_at: float | None = None


def new_id(length: int = 10) -> str:
    """Bedrock knowledge-base ids: 10 characters of [0-9A-Z]."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class Registry:
    def __init__(self, path: Path) -> None:
        self._database = Database(path, _SCHEMA)
        self._db, self._lock = self._database.connection, self._database.lock
        self.transaction = self._database.transaction
        self.close = self._database.close

    # knowledge bases

    def add(self, kb: KnowledgeBase) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO knowledge_bases VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _kb_row(kb))

    def get(self, kb_id: str) -> KnowledgeBase | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM knowledge_bases WHERE id = ?", (kb_id,)).fetchone()
        return KnowledgeBase(*row) if row else None

    def by_name(self, name: str) -> KnowledgeBase | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM knowledge_bases WHERE name = ?", (name,)).fetchone()
        return KnowledgeBase(*row) if row else None

    def all(self) -> list[KnowledgeBase]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM knowledge_bases ORDER BY created_at").fetchall()
        return [KnowledgeBase(*row) for row in rows]

    def set_space(self, kb_id: str, space: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE knowledge_bases SET space = ? WHERE id = ?", (space, kb_id))

    def remove(self, kb_id: str) -> None:
        with self.transaction() as db:
            for table in ("items", "documents", "ingestions"):
                db.execute(f"DELETE FROM {table} WHERE kb_id = ?", (kb_id,))  # table names are literals above
            db.execute("DELETE FROM knowledge_bases WHERE id = ?", (kb_id,))

    # documents and items

    def document_hashes(self, kb_id: str) -> dict[str, str]:
        with self._lock:
            rows = self._db.execute("SELECT uri, content_hash FROM documents WHERE kb_id = ?", (kb_id,)).fetchall()
        return dict(rows)

    def put_document(self, kb_id: str, uri: str, kind: ItemKind, content_hash: str, items: Sequence[Item]) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM items WHERE kb_id = ? AND uri = ?", (kb_id, uri))
            db.execute("INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?)", (kb_id, uri, str(kind), content_hash))
            db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)", [_item_row(kb_id, i) for i in items])

    def item_ids(self, kb_id: str, uri: str) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT id FROM items WHERE kb_id = ? AND uri = ?", (kb_id, uri)).fetchall()
        return [row[0] for row in rows]

    def remove_document(self, kb_id: str, uri: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM items WHERE kb_id = ? AND uri = ?", (kb_id, uri))
            db.execute("DELETE FROM documents WHERE kb_id = ? AND uri = ?", (kb_id, uri))

    def items(self, kb_id: str, ids: Sequence[str]) -> list[Item]:
        """Items by id or by document URI, in the order asked; unknown ones are left out."""
        columns = "SELECT id, uri, chunk, kind, text, metadata FROM items WHERE kb_id = ?"
        found: list[Item] = []
        with self._lock:
            for key in ids:
                # Two indexed lookups: `id = ? OR uri = ?` would defeat both indexes and scan the table.
                rows = self._db.execute(f"{columns} AND id = ?", (kb_id, key)).fetchall()
                rows = rows or self._db.execute(f"{columns} AND uri = ? ORDER BY chunk", (kb_id, key)).fetchall()
                found.extend(_item(row) for row in rows)
        return found

    def list_items(self, kb_id: str, offset: int = 0, limit: int = 100) -> list[Item]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, uri, chunk, kind, text, metadata FROM items WHERE kb_id = ? ORDER BY uri, chunk"
                " LIMIT ? OFFSET ?",
                (kb_id, limit, offset),
            ).fetchall()
        return [_item(row) for row in rows]

    def count_items(self, kb_id: str) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM items WHERE kb_id = ?", (kb_id,)).fetchone()
        return int(count)

    # ingestions

    def save_ingestion(self, run: Ingestion) -> None:
        row = (run.id, run.kb_id, run.source, run.status, json.dumps(run.report), run.error, run.started_at,
               run.ended_at)  # fmt: skip
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO ingestions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)

    def ingestion(self, run_id: str) -> Ingestion | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM ingestions WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        return Ingestion(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], row[7])

    def interrupted(self) -> list[Ingestion]:
        """Runs a stopped server left IN_PROGRESS."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM ingestions WHERE status = 'IN_PROGRESS'").fetchall()
        return [Ingestion(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7]) for r in rows]


def _kb_row(kb: KnowledgeBase) -> tuple[Any, ...]:
    return (kb.id, kb.name, kb.description, kb.model_id, kb.dimension, kb.index_kind, kb.space, kb.created_at)


def _item_row(kb_id: str, item: Item) -> tuple[Any, ...]:
    metadata = json.dumps(item.metadata)
    return (kb_id, item.id, item.uri, item.chunk, str(item.kind), item.text, metadata)


def _item(row: tuple[Any, ...]) -> Item:
    return Item(id=row[0], uri=row[1], chunk=row[2], kind=ItemKind(row[3]), text=row[4], metadata=json.loads(row[5]))
