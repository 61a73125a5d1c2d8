"""API keys in PostgreSQL (OUTCROP_KEYS_DSN), so that every API replica and `outcrop keys` share one key set.

The table `outcrop_api_keys` is created if missing. It holds SHA-256 digests only; revoking sets a flag (and the
time), rows are never deleted, so `outcrop keys list` shows revoked keys as the file does. A partial unique index
keeps names unique among active keys even when two `outcrop keys create` race. psycopg is imported when a store is
made. One connection per store, opened on first use and reopened if the server dropped it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from outcrop import loop_guard
from outcrop.access.keys import ApiKey, KeyStoreUnavailableError, name_in_use, new_key, no_active_key, parse_actions
from outcrop.errors import ValidationError

if TYPE_CHECKING:
    import psycopg

_SCHEMA_LOCK = 0x6F7574_6B657973  # pg_advisory_xact_lock key: concurrent first uses create the schema once
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS outcrop_api_keys (
        digest text PRIMARY KEY, name text NOT NULL, models text[] NOT NULL, actions text[] NOT NULL,
        rate_per_minute integer, max_concurrent integer, created_at timestamptz NOT NULL,
        revoked boolean NOT NULL DEFAULT false, revoked_at timestamptz
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS outcrop_api_keys_active_name ON outcrop_api_keys (name) WHERE NOT revoked",
]
_COLUMNS = "name, digest, models, actions, rate_per_minute, max_concurrent, created_at, revoked"

Row = tuple[Any, ...]


class PostgresKeyStore:
    """The KeyStore over PostgreSQL: `load`, `create`, `revoke` as KeyFile has them. Blocking: call off the loop."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Row] | None = None

    def describe(self) -> str:
        return "PostgreSQL (OUTCROP_KEYS_DSN)"

    def load(self) -> list[ApiKey]:
        with self._cursor("load keys") as cursor:
            rows = cursor.execute(f"SELECT {_COLUMNS} FROM outcrop_api_keys ORDER BY created_at, name").fetchall()
        return [_key(row) for row in rows]

    def create(self, template: ApiKey) -> tuple[ApiKey, str]:
        key, secret = new_key(template)
        with self._cursor("create key") as cursor:
            cursor.execute(
                f"INSERT INTO outcrop_api_keys ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, false)"
                " ON CONFLICT (name) WHERE NOT revoked DO NOTHING RETURNING digest",
                (key.name, key.digest, list(key.models), sorted(a.value for a in key.actions), key.rate_per_minute,
                 key.max_concurrent, datetime.fromisoformat(key.created_at)),
            )  # fmt: skip
            if cursor.fetchone() is None:
                raise ValidationError(name_in_use(key.name))
        return key, secret

    def revoke(self, name: str) -> ApiKey:
        with self._cursor("revoke key") as cursor:
            row = cursor.execute(
                "UPDATE outcrop_api_keys SET revoked = true, revoked_at = now() WHERE name = %s AND NOT revoked"
                f" RETURNING {_COLUMNS}",
                (name,),
            ).fetchone()
        if row is None:
            raise ValidationError(no_active_key(name))
        return _key(row)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _cursor(self, what: str) -> Iterator[psycopg.Cursor[Row]]:
        """One transaction on the store's connection, opened (and the schema made) first if there is none."""
        import psycopg

        loop_guard.check(f"PostgreSQL: {what}")
        with self._lock:
            try:
                if self._conn is None or self._conn.broken:
                    self._conn = self._connect()
                with self._conn.transaction(), self._conn.cursor() as cursor:
                    yield cursor
            except psycopg.OperationalError as error:
                raise KeyStoreUnavailableError(str(error).strip()) from error

    def _connect(self) -> psycopg.Connection[Row]:
        import psycopg

        conn: psycopg.Connection[Row] = psycopg.connect(self._dsn, autocommit=True)
        try:
            with conn.transaction(), conn.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                for statement in _SCHEMA:
                    cursor.execute(statement)
        except BaseException:
            conn.close()
            raise
        return conn


def _key(row: Row) -> ApiKey:
    name, digest, models, actions, rate, concurrency, created, revoked = row
    return ApiKey(
        name=name,
        digest=digest,
        models=tuple(models),
        actions=parse_actions(actions),
        rate_per_minute=rate,
        max_concurrent=concurrency,
        created_at=created.astimezone(UTC).isoformat(timespec="seconds"),
        revoked=revoked,
    )
