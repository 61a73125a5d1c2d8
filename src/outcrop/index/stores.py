"""Where each knowledge base's vectors live: the embedded index under OUTCROP_HOME, or a pgvector table."""

from __future__ import annotations

import shutil
from pathlib import Path

from outcrop.errors import ValidationError
from outcrop.index.base import VectorIndex
from outcrop.index.registry import KnowledgeBase


class IndexStores:
    """Opens and drops the index of a knowledge base according to its `index_kind`."""

    def __init__(self, root: Path, pg_dsn: str | None = None) -> None:
        self.root = root
        self.pg_dsn = pg_dsn

    def open(self, kb: KnowledgeBase) -> VectorIndex:
        if kb.index_kind == "pgvector":
            from outcrop.index.pgvector import PgVectorIndex

            return PgVectorIndex(self._dsn(), table_name(kb), kb.dimension)
        from outcrop.index.embedded import EmbeddedIndex

        return EmbeddedIndex.open(self.root / kb.id / "index", kb.dimension)

    def drop(self, kb: KnowledgeBase) -> None:
        if kb.index_kind == "pgvector":
            import psycopg

            with psycopg.connect(self._dsn(), autocommit=True) as conn:
                conn.execute(f'DROP TABLE IF EXISTS "{table_name(kb)}"')  # the name is [a-z0-9_] only
            return
        shutil.rmtree(self.root / kb.id, ignore_errors=True)

    def _dsn(self) -> str:
        if not self.pg_dsn:
            raise ValidationError("pgvector knowledge bases need OUTCROP_PG_DSN (a PostgreSQL URL) on the server.")
        return self.pg_dsn


def table_name(kb: KnowledgeBase) -> str:
    return f"outcrop_kb_{kb.id.lower()}"
