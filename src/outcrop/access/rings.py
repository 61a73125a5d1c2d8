"""KeyRing: the API keys a server checks requests against, served from a map in memory so that a lookup on the
event loop never waits on disk or SQL; and the one place that picks where keys live (`key_store`, `key_ring`).

- the keys file: re-read when its stat stamp changes (a stat per lookup; `outcrop keys` acts on the next request);
- PostgreSQL (OUTCROP_KEYS_DSN): re-read by a background thread every `keys_refresh_s` seconds (default 5), so
  several API replicas share one key set and a key revoked on any of them stops working on every replica within
  that interval (plus one query).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from outcrop.access.keys import ApiKey, KeyFile, KeyStore, digest_of

if TYPE_CHECKING:
    from outcrop.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_REFRESH_S = 5.0


class KeyRing(ABC):
    """Lookups by secret or digest; revoked keys are never found. Subclasses keep the map current."""

    def find(self, secret: str) -> ApiKey | None:
        return self.by_digest(digest_of(secret))

    def by_digest(self, digest: str) -> ApiKey | None:
        key = self._current().get(digest)
        return None if key is None or key.revoked else key

    def active(self) -> bool:
        return any(not key.revoked for key in self._current().values())

    @abstractmethod
    def _current(self) -> Mapping[str, ApiKey]: ...

    @abstractmethod
    def close(self) -> None:
        """Stop refreshing and release the store (safe to call twice)."""


class FileKeyRing(KeyRing):
    """The keys of a file, re-read when the file changes, so `outcrop keys` acts on a running server."""

    def __init__(self, keys: KeyFile) -> None:
        self.file = keys
        self._stamp: tuple[int, int, int] | None = None
        self._by_digest: Mapping[str, ApiKey] = {}
        self._lock = threading.Lock()

    def _current(self) -> Mapping[str, ApiKey]:
        try:
            status = self.file.path.stat()
            stamp: tuple[int, int, int] | None = (status.st_mtime_ns, status.st_size, status.st_ino)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._by_digest = _by_digest(self.file.load()) if stamp else {}
                self._stamp = stamp
            return self._by_digest

    def close(self) -> None:
        self.file.close()


class PolledKeyRing(KeyRing):
    """The keys of a shared store (PostgreSQL), read once here and then every `refresh_s` seconds (default 5) by a
    daemon thread: a key created or revoked anywhere is honoured by this server within `refresh_s` plus one query.
    Lookups read only the map in memory. A failed re-read keeps the last map and is logged: a revocation is written
    to the same database, so while it is unreachable there is nothing newer to miss."""

    def __init__(self, store: KeyStore, refresh_s: float = DEFAULT_REFRESH_S) -> None:
        if refresh_s <= 0:
            raise ValueError("refresh_s must be positive")
        self.store = store
        self.refresh_s = refresh_s
        try:
            self._by_digest: Mapping[str, ApiKey] = _by_digest(store.load())  # fail at startup, not on a request
        except BaseException:
            store.close()
            raise
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="outcrop-key-ring", daemon=True)
        self._thread.start()

    def _current(self) -> Mapping[str, ApiKey]:
        return self._by_digest  # replaced whole by the poller: a reader sees the old map or the new one

    def _poll(self) -> None:
        failing = False
        while not self._stop.wait(self.refresh_s):
            try:
                self._by_digest = _by_digest(self.store.load())
            except Exception as error:  # the store's driver errors vary; any of them leaves the last map in place
                if not failing:
                    log.warning("cannot re-read API keys from %s (%s); keeping the last ones", self.store.describe(),
                                error)  # fmt: skip
                failing = True
            else:
                if failing:
                    log.warning("API keys re-read from %s again", self.store.describe())
                failing = False

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self.store.close()


def key_store(settings: Settings) -> KeyStore:
    """Where API keys live: PostgreSQL when OUTCROP_KEYS_DSN is set, else the keys file. Blocking calls: keep off
    the event loop. The CLI, `Settings.auth_configured` and the server all choose through here."""
    if settings.keys_dsn:
        from outcrop.access.postgres_keys import PostgresKeyStore

        return PostgresKeyStore(settings.keys_dsn)
    return KeyFile(settings.api_keys_path)


def key_ring(settings: Settings) -> KeyRing:
    """The server's KeyRing over `key_store(settings)`; close it when the server stops."""
    store = key_store(settings)
    if isinstance(store, KeyFile):
        return FileKeyRing(store)
    return PolledKeyRing(store, settings.keys_refresh_s)


def _by_digest(keys: Iterable[ApiKey]) -> dict[str, ApiKey]:
    return {key.digest: key for key in keys}
