"""API keys: stored as SHA-256 digests only, in one TOML file (`$OUTCROP_HOME/api-keys.toml` or
OUTCROP_API_KEYS_FILE) or in PostgreSQL (access/postgres_keys.py, when OUTCROP_KEYS_DSN is set). Each key names the
model ids (glob patterns) and actions it may use and its quotas. Both stores have the KeyStore shape; access/rings.py
serves lookups from memory over either.

A key is 256 random bits, so a plain SHA-256 digest is enough to keep the store from being a list of usable keys
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
from typing import Any, Protocol

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


class KeyStoreUnavailableError(Exception):
    """The store could not be reached (a PostgreSQL server down or refusing the DSN)."""


class KeyStore(Protocol):
    """Where keys live: the keys file or PostgreSQL. `create` returns the key and its secret (shown once)."""

    def describe(self) -> str: ...
    def load(self) -> list[ApiKey]: ...
    def create(self, template: ApiKey) -> tuple[ApiKey, str]: ...
    def revoke(self, name: str) -> ApiKey: ...
    def close(self) -> None: ...


def new_key(template: ApiKey) -> tuple[ApiKey, str]:
    """A fresh secret and the key like `template` (name, models, actions, quotas) that stores its digest."""
    if not template.name.strip():
        raise ValidationError(name_in_use(template.name))
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    return replace(template, digest=digest_of(secret), created_at=created, revoked=False), secret


def name_in_use(name: str) -> str:
    return f"Name the key uniquely: '{name}' is empty or already in use."


def no_active_key(name: str) -> str:
    return f"No active key is named '{name}'; `outcrop keys list` shows the names."


@dataclass
class KeyFile:
    """The keys file: read with `load`, changed with `create` and `revoke` (each rewrite is atomic)."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def describe(self) -> str:
        return f"the keys file {self.path}"

    def close(self) -> None:
        """Nothing is held open between calls."""

    def load(self) -> list[ApiKey]:
        if not self.path.is_file():
            return []
        data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        return [_key_from(entry) for entry in data.get("keys", [])]

    def create(self, template: ApiKey) -> tuple[ApiKey, str]:
        """A new key like `template` (its name, models, actions, quotas); returns it and its secret, shown once."""
        key, secret = new_key(template)
        with self._lock:
            keys = self.load()
            if any(old.name == key.name and not old.revoked for old in keys):
                raise ValidationError(name_in_use(key.name))
            self._write([*keys, key])
        return key, secret

    def revoke(self, name: str) -> ApiKey:
        with self._lock:
            keys = self.load()
            live = [key for key in keys if key.name == name and not key.revoked]
            if not live:
                raise ValidationError(no_active_key(name))
            self._write([replace(key, revoked=True) if key in live else key for key in keys])
        return replace(live[0], revoked=True)

    def _write(self, keys: list[ApiKey]) -> None:
        text = "# Outcrop API keys: SHA-256 digests only. Manage with `outcrop keys`.\n\n"
        text += "\n".join(_key_toml(key) for key in keys)
        write_atomically(self.path, lambda temp: temp.write_text(text, encoding="utf-8"), mode=0o600)


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
