"""API keys: many keys in one TOML file (`$OUTCROP_HOME/api-keys.toml` or OUTCROP_API_KEYS_FILE), stored as SHA-256
digests only. Each key names the model ids (glob patterns) and actions it may use and its quotas.

A key is 256 random bits, so a plain SHA-256 digest is enough to keep the file from being a list of usable keys
(no password stretching is needed for secrets that cannot be guessed).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from outcrop.atomic_write import write_atomically
from outcrop.errors import ValidationError

KEY_PREFIX = "outcrop_"


class Action(StrEnum):
    INVOKE = "invoke"
    JOBS = "jobs"
    KNOWLEDGE_BASES = "knowledge-bases"
    REVIEW = "review"
    MODELS_ADMIN = "models-admin"


@dataclass(frozen=True)
class ApiKey:
    name: str
    digest: str
    models: tuple[str, ...] = ("*",)
    actions: frozenset[Action] = frozenset(Action)
    rate_per_minute: int | None = None
    max_concurrent: int | None = None
    created_at: str = ""
    revoked: bool = False

    def may(self, action: Action) -> bool:
        return action in self.actions

    def may_use(self, model_id: str) -> bool:
        return any(fnmatchcase(model_id, pattern) for pattern in self.models)


@dataclass(frozen=True)
class Principal:
    """Who made a request: `kind` is sigv4, api-key, session or anonymous (no credentials configured)."""

    name: str
    kind: str
    key: ApiKey | None = None

    def may(self, action: Action) -> bool:
        return self.key is None or self.key.may(action)

    def may_use(self, model_id: str) -> bool:
        return self.key is None or self.key.may_use(model_id)


ANONYMOUS = Principal("anonymous", "anonymous")


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_actions(names: Iterable[str]) -> frozenset[Action]:
    try:
        return frozenset(Action(name.strip()) for name in names)
    except ValueError:
        known = ", ".join(action.value for action in Action)
        raise ValidationError(f"Unknown action in {sorted(names)}; actions are: {known}.") from None


@dataclass
class KeyFile:
    """The keys file: read with `load`, changed with `create` and `revoke` (each rewrite is atomic)."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def load(self) -> list[ApiKey]:
        if not self.path.is_file():
            return []
        data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        return [_key_from(entry) for entry in data.get("keys", [])]

    def create(self, template: ApiKey) -> tuple[ApiKey, str]:
        """A new key like `template` (its name, models, actions, quotas); returns it and its secret, shown once."""
        name = template.name
        if not name.strip() or any(key.name == name and not key.revoked for key in self.load()):
            raise ValidationError(f"Name the key uniquely: '{name}' is empty or already in use.")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        key = replace(template, digest=digest_of(secret), created_at=created, revoked=False)
        with self._lock:
            self._write([*self.load(), key])
        return key, secret

    def revoke(self, name: str) -> ApiKey:
        with self._lock:
            keys = self.load()
            live = [key for key in keys if key.name == name and not key.revoked]
            if not live:
                raise ValidationError(f"No active key is named '{name}'; `outcrop keys list` shows the names.")
            self._write([replace(key, revoked=True) if key in live else key for key in keys])
        return replace(live[0], revoked=True)

    def _write(self, keys: list[ApiKey]) -> None:
        text = "# Outcrop API keys: SHA-256 digests only. Manage with `outcrop keys`.\n\n"
        text += "\n".join(_key_toml(key) for key in keys)
        write_atomically(self.path, lambda temp: temp.write_text(text, encoding="utf-8"), mode=0o600)


class KeyRing:
    """The keys of a file, re-read when the file changes, so `outcrop keys` acts on a running server."""

    def __init__(self, keys: KeyFile) -> None:
        self.file = keys
        self._stamp: tuple[int, int, int] | None = None
        self._by_digest: Mapping[str, ApiKey] = {}
        self._lock = threading.Lock()

    def find(self, secret: str) -> ApiKey | None:
        return self.by_digest(digest_of(secret))

    def by_digest(self, digest: str) -> ApiKey | None:
        key = self._current().get(digest)
        return None if key is None or key.revoked else key

    def active(self) -> bool:
        return any(not key.revoked for key in self._current().values())

    def _current(self) -> Mapping[str, ApiKey]:
        try:
            status = self.file.path.stat()
            stamp: tuple[int, int, int] | None = (status.st_mtime_ns, status.st_size, status.st_ino)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._by_digest = {key.digest: key for key in self.file.load()} if stamp else {}
                self._stamp = stamp
            return self._by_digest


def _key_from(entry: Mapping[str, Any]) -> ApiKey:
    return ApiKey(
        name=str(entry["name"]),
        digest=str(entry["sha256"]),
        models=tuple(entry.get("models", ["*"])),
        actions=parse_actions(entry.get("actions", [action.value for action in Action])),
        rate_per_minute=entry.get("rate_per_minute"),
        max_concurrent=entry.get("max_concurrent"),
        created_at=str(entry.get("created_at", "")),
        revoked=bool(entry.get("revoked", False)),
    )


def _key_toml(key: ApiKey) -> str:
    lines = [
        "[[keys]]",
        f"name = {_quoted(key.name)}",
        f'sha256 = "{key.digest}"',
        f"models = [{', '.join(map(_quoted, key.models))}]",
        f"actions = [{', '.join(_quoted(a.value) for a in sorted(key.actions))}]",
        f'created_at = "{key.created_at}"',
        f"revoked = {'true' if key.revoked else 'false'}",
    ]
    lines += [f"rate_per_minute = {key.rate_per_minute}"] if key.rate_per_minute is not None else []
    lines += [f"max_concurrent = {key.max_concurrent}"] if key.max_concurrent is not None else []
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A TOML basic string (JSON's escaping with ensure_ascii is a subset TOML accepts)."""
    return json.dumps(text, ensure_ascii=True)
