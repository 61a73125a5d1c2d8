"""API keys in PostgreSQL (OUTCROP_KEYS_DSN): the same KeyStore contract as the keys file, a KeyRing that re-reads
the table in the background (never on the event loop), and a live server that honours a key made with
`outcrop keys create` and refuses it after `outcrop keys revoke` once the refresh interval has passed."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from outcrop import loop_guard
from outcrop.access import Action, ApiKey, KeyFile, KeyStore, PolledKeyRing, key_ring, key_store
from outcrop.access.keys import KeyStoreUnavailableError, digest_of
from outcrop.access.postgres_keys import PostgresKeyStore
from outcrop.cli.main import cli
from outcrop.errors import ValidationError
from outcrop.settings import Settings
from support.live_server import TEST_KEY, TEST_SECRET, start_server

REFRESH_S = 0.2


@pytest.fixture
def keys_dsn(postgres_dsn: str) -> str:
    """A fresh database on the session's PostgreSQL: no keys left from other tests."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"keys_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return make_conninfo(postgres_dsn, dbname=name)


@pytest.fixture(params=["file", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], KeyStore]:
    """Opens a store over the same keys each call (two calls: two replicas)."""
    if request.param == "file":
        return lambda: KeyFile(tmp_path / "api-keys.toml")
    dsn = request.getfixturevalue("keys_dsn")
    return lambda: PostgresKeyStore(dsn)


@pytest.fixture
def store(open_store: Callable[[], KeyStore]):
    opened = open_store()
    yield opened
    opened.close()


# --- the KeyStore contract, over the file and PostgreSQL --------------------------------------------------------


def test_create_keeps_the_digest_and_every_field(store):
    template = ApiKey("ci", "", ("amazon.titan-*", "stability.*"), frozenset({Action.INVOKE, Action.JOBS}), 5, 2)
    key, secret = store.create(template)
    assert secret.startswith("outcrop_") and key.digest == digest_of(secret)
    [loaded] = store.load()
    assert loaded == key
    assert (loaded.models, loaded.actions, loaded.rate_per_minute, loaded.max_concurrent) == (
        ("amazon.titan-*", "stability.*"), frozenset({Action.INVOKE, Action.JOBS}), 5, 2)  # fmt: skip
    assert loaded.created_at.endswith("+00:00") and not loaded.revoked


def test_defaults_mean_every_model_and_action(store):
    key, _ = store.create(ApiKey("all", ""))
    [loaded] = store.load()
    assert loaded.models == ("*",) and loaded.actions == frozenset(Action)
    assert loaded.rate_per_minute is None and loaded.max_concurrent is None and loaded == key


def test_names_are_unique_among_active_keys(store):
    store.create(ApiKey("ci", ""))
    with pytest.raises(ValidationError, match="uniquely"):
        store.create(ApiKey("ci", ""))
    with pytest.raises(ValidationError, match="uniquely"):
        store.create(ApiKey("  ", ""))
    store.revoke("ci")
    store.create(ApiKey("ci", ""))  # a revoked key's name may be used again
    assert sorted(key.revoked for key in store.load()) == [False, True]


def test_revoke_flags_the_key_and_keeps_it_listed(store):
    key, _ = store.create(ApiKey("ci", ""))
    store.create(ApiKey("other", ""))
    revoked = store.revoke("ci")
    assert revoked.revoked and revoked.digest == key.digest
    assert {k.name: k.revoked for k in store.load()} == {"ci": True, "other": False}
    with pytest.raises(ValidationError, match="No active key"):
        store.revoke("ci")
    with pytest.raises(ValidationError, match="No active key"):
        store.revoke("nobody")


def test_a_second_store_sees_the_first_ones_keys(open_store):
    first, second = open_store(), open_store()
    try:
        key, _ = first.create(ApiKey("shared", ""))
        assert second.load() == [key]
        second.revoke("shared")
        assert [k.revoked for k in first.load()] == [True]
    finally:
        first.close()
        second.close()


# --- PostgreSQL specifics -------------------------------------------------------------------------------------


def test_the_table_holds_digests_never_secrets(keys_dsn):
    import psycopg

    store = PostgresKeyStore(keys_dsn)
    try:
        _, secret = store.create(ApiKey("ci", ""))
    finally:
        store.close()
    with psycopg.connect(keys_dsn) as conn:
        rows = conn.execute("SELECT * FROM outcrop_api_keys").fetchall()
    assert len(rows) == 1 and secret not in repr(rows) and digest_of(secret) in repr(rows)


def test_an_unreachable_database_is_a_clear_error():
    store = PostgresKeyStore("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(KeyStoreUnavailableError):
        store.load()


def test_settings_choose_the_store(tmp_path, keys_dsn):
    assert isinstance(key_store(Settings(home=tmp_path)), KeyFile)
    chosen = key_store(Settings(home=tmp_path, keys_dsn=keys_dsn))
    assert isinstance(chosen, PostgresKeyStore)
    chosen.create(ApiKey("ci", ""))
    chosen.close()
    assert Settings(home=tmp_path, keys_dsn=keys_dsn).auth_configured
    assert not Settings(home=tmp_path).auth_configured  # the file is empty: the keys are in PostgreSQL


def test_queries_on_the_event_loop_are_recorded(keys_dsn):
    store = PostgresKeyStore(keys_dsn)
    loop_guard.enable()
    try:
        loop_guard.clear()
        store.load()  # off the loop: fine
        assert loop_guard.violations() == []

        async def on_loop() -> None:
            store.load()

        asyncio.run(on_loop())
        assert loop_guard.violations() == ["PostgreSQL: load keys"]
    finally:
        loop_guard.clear()
        store.close()


# --- the polled KeyRing -----------------------------------------------------------------------------------------


def test_the_ring_sees_a_revocation_within_the_interval(keys_dsn):
    writer = PostgresKeyStore(keys_dsn)
    _, secret = writer.create(ApiKey("ci", ""))
    ring = key_ring(Settings(keys_dsn=keys_dsn, keys_refresh_s=REFRESH_S))
    try:
        assert isinstance(ring, PolledKeyRing)
        assert ring.find(secret) is not None and ring.active()
        writer.revoke("ci")
        _, later = writer.create(ApiKey("later", ""))
        time.sleep(REFRESH_S * 3)
        assert ring.find(secret) is None and ring.find(later) is not None
    finally:
        ring.close()
        writer.close()


class CountingStore:
    """A KeyStore double that counts loads and can be made to fail."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self.keys, self.loads, self.failing, self.closed = keys, 0, False, False

    def describe(self) -> str:
        return "a counting store"

    def load(self) -> list[ApiKey]:
        self.loads += 1
        if self.failing:
            raise KeyStoreUnavailableError("down")
        return list(self.keys)

    def create(self, template: ApiKey) -> tuple[ApiKey, str]:
        raise NotImplementedError

    def revoke(self, name: str) -> ApiKey:
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True


def test_lookups_never_read_the_store():
    store = CountingStore([ApiKey("ci", digest_of("secret"))])
    ring = PolledKeyRing(store, refresh_s=60)
    try:

        async def on_loop() -> int:
            found = [ring.find("secret") for _ in range(1000)]
            assert all(found) and ring.find("wrong") is None
            return store.loads

        assert asyncio.run(on_loop()) == 1  # the one read when the ring was made
    finally:
        ring.close()
    assert store.closed


def test_a_failed_refresh_keeps_the_last_keys(caplog):
    store = CountingStore([ApiKey("ci", digest_of("secret"))])
    ring = PolledKeyRing(store, refresh_s=0.05)
    try:
        store.failing = True
        time.sleep(0.3)
        assert store.loads > 2 and ring.find("secret") is not None
        assert "keeping the last ones" in caplog.text
        store.failing, store.keys = False, []
        time.sleep(0.3)
        assert ring.find("secret") is None and not ring.active()
    finally:
        ring.close()


# --- a live server with OUTCROP_KEYS_DSN and the CLI -------------------------------------------------------------


def keys_cli(home: Path, dsn: str, *args: str):
    return CliRunner().invoke(cli, ["--home", str(home), "keys", *args], env={"OUTCROP_KEYS_DSN": dsn})


def test_a_server_honours_cli_keys_in_postgres_until_revoked(tmp_path, models_dir, keys_dsn):
    created = keys_cli(tmp_path, keys_dsn, "create", "replica-key")
    assert created.exit_code == 0, created.output
    assert "PostgreSQL" in created.stderr
    secret = created.stdout.strip().splitlines()[0]
    assert not (tmp_path / "api-keys.toml").exists()  # the file was not touched
    listed = keys_cli(tmp_path, keys_dsn, "list")
    assert "replica-key" in listed.stdout and "active" in listed.stdout and "PostgreSQL" in listed.stderr
    # the access key pair keeps the server locked once its only API key is revoked
    with start_server(home=tmp_path, models_dir=models_dir, profile="tiny", keys_dsn=keys_dsn,
                      keys_refresh_s=REFRESH_S, access_key_id=TEST_KEY, secret_access_key=TEST_SECRET) as server:  # fmt: skip
        url = f"{server.url}/v1/models"
        assert httpx.get(url, timeout=30).status_code == 403
        assert httpx.get(url, headers={"Authorization": f"Bearer {secret}"}, timeout=30).status_code == 200
        revoked = keys_cli(tmp_path, keys_dsn, "revoke", "replica-key")
        assert revoked.exit_code == 0 and "PostgreSQL" in revoked.output
        time.sleep(REFRESH_S * 3)
        refused = httpx.get(url, headers={"Authorization": f"Bearer {secret}"}, timeout=30)
        assert refused.status_code == 403 and refused.json()["__type"].endswith("UnrecognizedClientException")
    assert "revoked" in keys_cli(tmp_path, keys_dsn, "list").stdout
