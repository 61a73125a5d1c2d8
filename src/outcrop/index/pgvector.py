"""The VectorIndex on PostgreSQL + pgvector: one table per index, an HNSW index over cosine distance.

Metadata filters compile to a parameterised WHERE over the jsonb column with the semantics of
`filters.matches` (missing keys: notEquals/notIn match; numeric comparisons only on numbers). The key, like
every value, travels as a query parameter; the only names in the SQL text are the validated table name and
constants of this module.

pgvector 0.6.2 (what PyPI pgserver ships) has no iterative index scans (0.8.0 added them), so a filtered search
over-fetches: it filters the m = max(4k, 64) nearest rows from the HNSW index, then the 1,000 nearest (the most
hnsw.ef_search allows), and when fewer than k survive it runs the query as an exact scan with index scans off,
which returns k rows whenever k rows match.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Sequence
from typing import Any, assert_never

import numpy as np
import psycopg
from numpy.typing import NDArray
from pgvector import Vector
from pgvector.psycopg import register_vector
from psycopg import sql

from outcrop.index.base import DimensionMismatchError, Hit, Record, Vectors, normalized
from outcrop.index.filters import AllOf, AnyOf, Condition, Filter, Op

_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,47}")
_HNSW_M = 16
_HNSW_EF_CONSTRUCTION = 64
_HNSW_MAX_EF_SEARCH = 1000  # pgvector's upper bound for hnsw.ef_search
_HNSW_MAX_DIMENSION = 2000  # pgvector's upper bound for an HNSW index over `vector`
_COMPARE = {
    Op.GREATER_THAN: ">",
    Op.GREATER_THAN_OR_EQUALS: ">=",
    Op.LESS_THAN: "<",
    Op.LESS_THAN_OR_EQUALS: "<=",
}


class PgVectorIndex:
    """A VectorIndex in table `table` of the database at `dsn`; creates the extension, table and index."""

    def __init__(self, dsn: str, table: str, dimension: int, *, ef_search: int = 100) -> None:
        if not _TABLE_NAME.fullmatch(table):
            raise ValueError(f"table name {table!r}: use letters, digits and _ (at most 48, not starting with a digit)")
        if not 0 < ef_search <= _HNSW_MAX_EF_SEARCH:
            raise ValueError(f"ef_search must be 1 to {_HNSW_MAX_EF_SEARCH}, not {ef_search}")
        if not 0 < dimension <= _HNSW_MAX_DIMENSION:
            raise ValueError(f"pgvector HNSW indexes hold 1 to {_HNSW_MAX_DIMENSION} dimensions, not {dimension}")
        self.dimension = dimension
        self.ef_search = ef_search
        self._table = sql.Identifier(table)
        self._lock = threading.Lock()
        self._conn = psycopg.connect(dsn, autocommit=True)
        try:
            self._create(table)
        except BaseException:
            self._conn.close()
            raise

    def _create(self, table: str) -> None:
        self._conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(self._conn)
        self._conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, embedding vector({}) NOT NULL,"
                " metadata jsonb NOT NULL DEFAULT '{{}}')"
            ).format(self._table, sql.Literal(self.dimension))
        )
        row = self._conn.execute(
            "SELECT atttypmod FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'embedding'",
            (self._table.as_string(self._conn),),
        ).fetchone()
        if row is None or row[0] != self.dimension:
            stored = None if row is None else row[0]
            raise DimensionMismatchError(f"table {table} holds {stored}-dimensional vectors, not {self.dimension}")
        self._conn.execute(
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON {} USING hnsw (embedding vector_cosine_ops)"
                " WITH (m = {}, ef_construction = {})"
            ).format(
                sql.Identifier(f"{table}_embedding_hnsw"),
                self._table,
                sql.Literal(_HNSW_M),
                sql.Literal(_HNSW_EF_CONSTRUCTION),
            )
        )

    def upsert(self, records: Sequence[Record]) -> None:
        latest = {record.id: record for record in records}  # the last record of an id in a batch wins
        if not latest:
            return
        vectors = normalized(np.stack([_flat(r.vector, self.dimension) for r in latest.values()]), self.dimension)
        metadata = [json.dumps(dict(r.metadata), allow_nan=False, ensure_ascii=False) for r in latest.values()]
        statement = sql.SQL(
            "INSERT INTO {} (id, embedding, metadata) VALUES (%s, %s, %s::jsonb) ON CONFLICT (id) DO UPDATE"
            " SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata"
        ).format(self._table)
        with self._lock, self._conn.transaction(), self._conn.cursor() as cursor:
            cursor.executemany(statement, zip(latest, vectors, metadata, strict=True))

    def delete(self, ids: Sequence[str]) -> None:
        with self._lock:
            self._conn.execute(sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(self._table), (list(ids),))

    def search(self, query: NDArray[np.float32], k: int, where: Filter | None = None) -> list[Hit]:
        q = _one(query, self.dimension)
        if k <= 0:
            return []
        condition, params = compile_filter(where) if where is not None else ("true", [])
        first = k if where is None else max(4 * k, 64)
        if k <= _HNSW_MAX_EF_SEARCH:  # the HNSW index returns at most ef_search rows
            for m in sorted({min(first, _HNSW_MAX_EF_SEARCH), _HNSW_MAX_EF_SEARCH}):
                hits = self._approximate(q, k, m, condition, params)
                if len(hits) >= k:
                    return hits
        return self._exact(q, k, condition, params)

    def _approximate(self, q: NDArray[np.float32], k: int, m: int, condition: str, params: list[Any]) -> list[Hit]:
        statement = sql.SQL(
            "WITH candidates AS MATERIALIZED (SELECT id, metadata, embedding <=> %s AS distance FROM {}"
            " ORDER BY distance LIMIT %s) SELECT id, metadata, distance FROM candidates WHERE {} ORDER BY distance"
            " LIMIT %s"
        ).format(self._table, sql.SQL(condition))  # condition: constants and %s only
        setting = ("hnsw.ef_search", str(max(self.ef_search, m)))
        return self._select(setting, statement, [q, m, *params, k])

    def _exact(self, q: NDArray[np.float32], k: int, condition: str, params: list[Any]) -> list[Hit]:
        statement = sql.SQL(
            "SELECT id, metadata, embedding <=> %s AS distance FROM {} WHERE {} ORDER BY distance LIMIT %s"
        ).format(self._table, sql.SQL(condition))  # condition: constants and %s only
        return self._select(("enable_indexscan", "off"), statement, [q, *params, k])

    def _select(self, setting: tuple[str, str], statement: sql.Composed, params: list[Any]) -> list[Hit]:
        with self._lock, self._conn.transaction():
            self._conn.execute("SELECT set_config(%s, %s, true)", setting)  # true: for this transaction only
            rows = self._conn.execute(statement, params).fetchall()
        return [Hit(id, 1.0 - float(distance), metadata) for id, metadata, distance in rows]

    def get(self, ids: Sequence[str]) -> list[Record]:
        statement = sql.SQL("SELECT id, embedding, metadata FROM {} WHERE id = ANY(%s)").format(self._table)
        with self._lock:
            rows = {row[0]: row for row in self._conn.execute(statement, (list(ids),))}
        return [Record(id, _array(rows[id][1]), rows[id][2]) for id in ids if id in rows]

    def keys(self, after: str | None, limit: int) -> list[str]:
        statement = sql.SQL('SELECT id FROM {} WHERE id COLLATE "C" > %s ORDER BY id COLLATE "C" LIMIT %s')
        with self._lock:
            rows = self._conn.execute(statement.format(self._table), (after or "", limit)).fetchall()
        return [row[0] for row in rows]

    def count(self) -> int:
        with self._lock:
            row = self._conn.execute(sql.SQL("SELECT count(*) FROM {}").format(self._table)).fetchone()
        assert row is not None
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def compile_filter(where: Filter) -> tuple[str, list[Any]]:
    """Filter -> (SQL boolean expression over column `metadata` with %s placeholders, its parameters)."""
    params: list[Any] = []
    return _compile(where, params), params


def _compile(node: Filter, params: list[Any]) -> str:
    if isinstance(node, AllOf | AnyOf):
        joiner = " AND " if isinstance(node, AllOf) else " OR "
        return "(" + joiner.join(_compile(part, params) for part in node.parts) + ")"
    return _condition(node, params)


def _condition(c: Condition, params: list[Any]) -> str:  # noqa: PLR0911  (one return per operator)
    """Each expression is true or false, never NULL (a missing key reads as SQL NULL)."""
    field = "(metadata -> %s::text)"
    match c.op:
        case Op.EQUALS:
            params += [c.key, json.dumps(c.value)]
            return f"COALESCE({field} = %s::jsonb, false)"
        case Op.NOT_EQUALS:
            params += [c.key, json.dumps(c.value)]
            return f"COALESCE({field} <> %s::jsonb, true)"
        case Op.IN:
            params += [c.key, json.dumps(c.value)]
            return f"COALESCE({field} IN (SELECT jsonb_array_elements(%s::jsonb)), false)"
        case Op.NOT_IN:
            params += [c.key, json.dumps(c.value)]
            return f"COALESCE({field} NOT IN (SELECT jsonb_array_elements(%s::jsonb)), true)"
        case Op.GREATER_THAN | Op.GREATER_THAN_OR_EQUALS | Op.LESS_THAN | Op.LESS_THAN_OR_EQUALS:
            return _numeric(c, params)
        case Op.STARTS_WITH:
            params += [c.key, c.key, c.value]
            test = "starts_with(metadata ->> %s::text, %s::text)"
            return f"(CASE WHEN jsonb_typeof({field}) = 'string' THEN {test} ELSE false END)"
        case Op.LIST_CONTAINS:
            params += [c.key, c.key, json.dumps(c.value)]
            test = f"EXISTS (SELECT 1 FROM jsonb_array_elements({field}) AS e WHERE e = %s::jsonb)"
            return f"(CASE WHEN jsonb_typeof({field}) = 'array' THEN {test} ELSE false END)"
        case Op.STRING_CONTAINS:
            params += [c.key, c.key, c.value, c.key, json.dumps([c.value])]
            text = "strpos(metadata ->> %s::text, %s::text) > 0"
            listed = f"{field} @> %s::jsonb"  # one string inside an array: contained iff an element equals it
            return f"(CASE jsonb_typeof({field}) WHEN 'string' THEN {text} WHEN 'array' THEN {listed} ELSE false END)"
        case _:
            assert_never(c.op)


def _numeric(c: Condition, params: list[Any]) -> str:
    if isinstance(c.value, float) and math.isnan(c.value):
        return "false"  # NaN compares false in Python; PostgreSQL orders numeric NaN above every number
    params += [c.key, c.key, json.dumps(c.value)]
    test = f"(metadata -> %s::text)::numeric {_COMPARE[c.op]} %s::numeric"
    return f"(CASE WHEN jsonb_typeof(metadata -> %s::text) = 'number' THEN {test} ELSE false END)"


def _flat(vector: NDArray[Any], dimension: int) -> NDArray[np.float32]:
    array = np.asarray(vector, dtype=np.float32)
    if array.ndim != 1 or array.shape[0] != dimension:
        raise DimensionMismatchError(f"a vector of shape {array.shape}; this index holds {dimension} dimensions")
    return array


def _array(value: Any) -> NDArray[np.float32]:
    """pgvector >= 0.4 loads a `Vector`, older releases a numpy array."""
    if isinstance(value, Vector):
        return value.to_numpy().astype(np.float32)
    return np.asarray(value, dtype=np.float32)


def _one(query: NDArray[Any], dimension: int) -> Vectors:
    rows = normalized(query, dimension)
    if len(rows) != 1:
        raise ValueError(f"search takes one query vector, not {len(rows)}")
    return rows.reshape(-1)
