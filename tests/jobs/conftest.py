"""Fixtures for the JobStore contract: `open_store` / `store` for every implementation, and a real PostgreSQL.

Implementations: SQLite in a file under tmp_path, and PostgreSQL on a server started from PyPI pgserver's binaries
(see support/pg_local.py), one per test session, a fresh database per test. `open_store()` opens another store on
the same storage, as a second process would.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from outcrop.jobs import JobStore

IMPLEMENTATIONS = ["sqlite", "postgres"]

OpenStore = Callable[[], JobStore]


@pytest.fixture(params=IMPLEMENTATIONS)
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    opened: list[JobStore] = []
    make = _postgres(request) if request.param == "postgres" else _sqlite(tmp_path / "state" / "jobs.sqlite")

    def open_() -> JobStore:
        store = make()
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: OpenStore) -> JobStore:
    return open_store()


def _sqlite(path: Path) -> OpenStore:
    from outcrop.jobs.sqlite import SqliteJobStore

    return lambda: SqliteJobStore(path)


def _postgres(request: pytest.FixtureRequest) -> OpenStore:
    import psycopg
    from psycopg.conninfo import make_conninfo

    from outcrop.jobs.postgres import PostgresJobStore

    server = request.getfixturevalue("postgres_dsn")  # started only when a PostgreSQL case runs
    name = f"jobs_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")  # a fresh database: nothing left from other tests
    dsn = make_conninfo(server, dbname=name)
    return lambda: PostgresJobStore(dsn)
