"""The knowledge-base registry in SQLite: bases, their data sources, documents and items (chunks), ingestion runs.

Every document and item belongs to one data source: ingesting a source compares and deletes only what that source
owns, so two sources of one knowledge base never remove each other's items.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import string
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from outcrop.database import Database
from outcrop.index.sources import ItemKind

_ALPHABET = string.ascii_uppercase + string.digits
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS knowledge_bases (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL, model_id TEXT NOT NULL,
    dimension INTEGER NOT NULL, index_kind TEXT NOT NULL, space TEXT, created_at REAL NOT NULL,
    config TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS data_sources (
    id TEXT PRIMARY KEY, kb_id TEXT NOT NULL, name TEXT NOT NULL, source TEXT NOT NULL,
    description TEXT NOT NULL, chunking TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    UNIQUE (kb_id, name)
);
CREATE TABLE IF NOT EXISTS documents (
    kb_id TEXT NOT NULL, source_id TEXT NOT NULL, uri TEXT NOT NULL, kind TEXT NOT NULL,
    content_hash TEXT NOT NULL, PRIMARY KEY (kb_id, source_id, uri)
);
CREATE TABLE IF NOT EXISTS items (
    kb_id TEXT NOT NULL, id TEXT NOT NULL, uri TEXT NOT NULL, chunk INTEGER NOT NULL, kind TEXT NOT NULL,
    text TEXT, metadata TEXT NOT NULL, source_id TEXT NOT NULL DEFAULT '', PRIMARY KEY (kb_id, id)
);
CREATE INDEX IF NOT EXISTS items_uri ON items (kb_id, uri);
CREATE INDEX IF NOT EXISTS items_source ON items (kb_id, source_id, uri);
CREATE TABLE IF NOT EXISTS ingestions (
    id TEXT PRIMARY KEY, kb_id TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL,
    report TEXT NOT NULL, error TEXT, started_at REAL NOT NULL, ended_at REAL, source_id TEXT NOT NULL DEFAULT ''
);
"""
_ITEM_COLUMNS = "id, uri, chunk, kind, text, metadata, source_id"


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
    config: dict[str, Any] = field(default_factory=dict)  # what the bedrock-agent API was given, echoed back


@dataclass(frozen=True)
class DataSource:
    """Where a knowledge base's documents come from (a folder or an s3:// prefix) and how they are chunked."""

    id: str
    kb_id: str
    name: str
    source: str
    description: str = ""
    chunking: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(frozen=True)
class Item:
    """One searchable unit: a whole image, or one chunk of a text document."""

    id: str
    uri: str
    chunk: int
    kind: ItemKind
    text: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    source_id: str = ""


@dataclass
class Ingestion:
    id: str
    kb_id: str
    source: str
    status: str  # IN_PROGRESS | COMPLETE | FAILED
    report: dict[str, Any]
    error: str | None
    started_at: float
    ended_at: float | None = None
    source_id: str = ""


def new_id(length: int = 10) -> str:
    """Bedrock knowledge-base ids: 10 characters of [0-9A-Z]."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class Registry:
    def __init__(self, path: Path) -> None:
        self._database = Database(path, "")
        self._db, self._lock = self._database.connection, self._database.lock
        self.transaction = self._database.transaction
        self.close = self._database.close
        with self.transaction() as db:
            _upgrade(db)

    # knowledge bases

    def add(self, kb: KnowledgeBase) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO knowledge_bases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _kb_row(kb))

    def get(self, kb_id: str) -> KnowledgeBase | None:
        return self._one_kb("SELECT * FROM knowledge_bases WHERE id = ?", kb_id)

    def by_name(self, name: str) -> KnowledgeBase | None:
        return self._one_kb("SELECT * FROM knowledge_bases WHERE name = ?", name)

    def _one_kb(self, sql: str, key: str) -> KnowledgeBase | None:
        with self._lock:
            row = self._db.execute(sql, (key,)).fetchone()
        return _kb(row) if row else None

    def all(self) -> list[KnowledgeBase]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM knowledge_bases ORDER BY created_at").fetchall()
        return [_kb(row) for row in rows]

    def set_space(self, kb_id: str, space: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE knowledge_bases SET space = ? WHERE id = ?", (space, kb_id))

    def remove(self, kb_id: str) -> None:
        with self.transaction() as db:
            for table in ("items", "documents", "ingestions", "data_sources"):
                db.execute(f"DELETE FROM {table} WHERE kb_id = ?", (kb_id,))  # table names are literals above
            db.execute("DELETE FROM knowledge_bases WHERE id = ?", (kb_id,))

    # data sources

    def add_source(self, source: DataSource) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO data_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _source_row(source))

    def update_source(self, source: DataSource) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO data_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _source_row(source))

    def source(self, kb_id: str, source_id: str) -> DataSource | None:
        found = self._sources("WHERE kb_id = ? AND id = ?", (kb_id, source_id))
        return found[0] if found else None

    def sources(self, kb_id: str) -> list[DataSource]:
        return self._sources("WHERE kb_id = ? ORDER BY created_at, id", (kb_id,))

    def source_named(self, kb_id: str, name: str) -> DataSource | None:
        found = self._sources("WHERE kb_id = ? AND name = ?", (kb_id, name))
        return found[0] if found else None

    def _sources(self, where: str, args: tuple[str, ...]) -> list[DataSource]:
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM data_sources {where}", args).fetchall()
        return [_source(row) for row in rows]

    def remove_source(self, kb_id: str, source_id: str) -> None:
        """Forget a data source with its documents, items and runs (the caller removes its vectors)."""
        with self.transaction() as db:
            for table in ("items", "documents", "ingestions"):
                db.execute(f"DELETE FROM {table} WHERE kb_id = ? AND source_id = ?", (kb_id, source_id))
            db.execute("DELETE FROM data_sources WHERE kb_id = ? AND id = ?", (kb_id, source_id))

    # documents and items

    def document_hashes(self, kb_id: str, source_id: str) -> dict[str, str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT uri, content_hash FROM documents WHERE kb_id = ? AND source_id = ?", (kb_id, source_id)
            ).fetchall()
        return dict(rows)

    def put_document(self, kb_id: str, source_id: str, uri: str, *, kind: ItemKind, content_hash: str,
                     items: Sequence[Item]) -> None:  # fmt: skip
        with self.transaction() as db:
            db.execute("DELETE FROM items WHERE kb_id = ? AND source_id = ? AND uri = ?", (kb_id, source_id, uri))
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)",
                (kb_id, source_id, uri, str(kind), content_hash),
            )
            db.executemany(f"INSERT INTO items ({_ITEM_COLUMNS}, kb_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [_item_row(kb_id, i) for i in items])  # fmt: skip

    def item_ids(self, kb_id: str, source_id: str, uri: str | None = None) -> list[str]:
        """Ids of the items a source holds (of one of its documents, with `uri`)."""
        sql, args = "SELECT id FROM items WHERE kb_id = ? AND source_id = ?", [kb_id, source_id]
        if uri is not None:
            sql, args = sql + " AND uri = ?", [*args, uri]
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [row[0] for row in rows]

    def remove_document(self, kb_id: str, source_id: str, uri: str) -> None:
        with self.transaction() as db:
            for table in ("items", "documents"):
                db.execute(f"DELETE FROM {table} WHERE kb_id = ? AND source_id = ? AND uri = ?",
                           (kb_id, source_id, uri))  # fmt: skip

    def items(self, kb_id: str, ids: Sequence[str]) -> list[Item]:
        """Items by id or by document URI, in the order asked; unknown ones are left out."""
        columns = f"SELECT {_ITEM_COLUMNS} FROM items WHERE kb_id = ?"
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
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE kb_id = ? ORDER BY uri, chunk, source_id LIMIT ? OFFSET ?",
                (kb_id, limit, offset),
            ).fetchall()
        return [_item(row) for row in rows]

    def count_items(self, kb_id: str, source_id: str | None = None) -> int:
        sql, args = "SELECT COUNT(*) FROM items WHERE kb_id = ?", [kb_id]
        if source_id is not None:
            sql, args = sql + " AND source_id = ?", [kb_id, source_id]
        with self._lock:
            (count,) = self._db.execute(sql, args).fetchone()
        return int(count)

    # ingestions

    def save_ingestion(self, run: Ingestion) -> None:
        row = (run.id, run.kb_id, run.source, run.status, json.dumps(run.report), run.error, run.started_at,
               run.ended_at, run.source_id)  # fmt: skip
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO ingestions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)

    def ingestion(self, run_id: str) -> Ingestion | None:
        found = self._ingestions("WHERE id = ?", (run_id,))
        return found[0] if found else None

    def ingestions(self, kb_id: str, source_id: str) -> list[Ingestion]:
        return self._ingestions("WHERE kb_id = ? AND source_id = ? ORDER BY started_at, id", (kb_id, source_id))

    def interrupted(self) -> list[Ingestion]:
        """Runs a stopped server left IN_PROGRESS."""
        return self._ingestions("WHERE status = 'IN_PROGRESS' ORDER BY started_at", ())

    def _ingestions(self, where: str, args: tuple[str, ...]) -> list[Ingestion]:
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM ingestions {where}", args).fetchall()
        return [Ingestion(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7], r[8]) for r in rows]


def _upgrade(db: sqlite3.Connection) -> None:
    """Create the schema, or bring a registry written by an older Outcrop up to date."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version < 1 and "documents" in tables:
        _upgrade_to_sources(db)
    _create(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create(db: sqlite3.Connection) -> None:
    # One statement at a time: executescript would commit the caller's transaction.
    for statement in filter(str.strip, _SCHEMA.split(";")):
        db.execute(statement)


def _upgrade_to_sources(db: sqlite3.Connection) -> None:
    """Version 0 had one implicit source per knowledge base: it becomes a data source named `default` holding
    every document and item (pointing at the last source ingested)."""
    db.execute("ALTER TABLE knowledge_bases ADD COLUMN config TEXT NOT NULL DEFAULT '{}'")
    db.execute("ALTER TABLE items ADD COLUMN source_id TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE ingestions ADD COLUMN source_id TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE documents RENAME TO documents_v0")
    _create(db)
    now = time.time()
    for (kb_id,) in db.execute("SELECT id FROM knowledge_bases").fetchall():
        last = db.execute("SELECT source FROM ingestions WHERE kb_id = ? ORDER BY started_at DESC LIMIT 1",
                          (kb_id,)).fetchone()  # fmt: skip
        source = DataSource(new_id(), kb_id, "default", last[0] if last else "", "", {}, now, now)
        db.execute("INSERT INTO data_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _source_row(source))
        db.execute("INSERT INTO documents SELECT kb_id, ?, uri, kind, content_hash FROM documents_v0 WHERE kb_id = ?",
                   (source.id, kb_id))  # fmt: skip
        for table in ("items", "ingestions"):
            db.execute(f"UPDATE {table} SET source_id = ? WHERE kb_id = ?", (source.id, kb_id))
    db.execute("DROP TABLE documents_v0")


def _kb_row(kb: KnowledgeBase) -> tuple[Any, ...]:
    return (kb.id, kb.name, kb.description, kb.model_id, kb.dimension, kb.index_kind, kb.space, kb.created_at,
            json.dumps(kb.config))  # fmt: skip


def _kb(row: tuple[Any, ...]) -> KnowledgeBase:
    kb_id, name, description, model_id, dimension, index_kind, space, created_at, config = row
    return KnowledgeBase(kb_id, name, description, model_id, dimension, index_kind, space, created_at,
                         json.loads(config))  # fmt: skip


def _source_row(source: DataSource) -> tuple[Any, ...]:
    return (source.id, source.kb_id, source.name, source.source, source.description, json.dumps(source.chunking),
            source.created_at, source.updated_at)  # fmt: skip


def _source(row: tuple[Any, ...]) -> DataSource:
    return DataSource(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7])


def _item_row(kb_id: str, item: Item) -> tuple[Any, ...]:
    metadata = json.dumps(item.metadata)
    return (item.id, item.uri, item.chunk, str(item.kind), item.text, metadata, item.source_id, kb_id)


def _item(row: tuple[Any, ...]) -> Item:
    return Item(id=row[0], uri=row[1], chunk=row[2], kind=ItemKind(row[3]), text=row[4], metadata=json.loads(row[5]),
                source_id=row[6])  # fmt: skip
