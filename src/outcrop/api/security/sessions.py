"""Web UI sessions: signing in with an API key gives an HttpOnly, SameSite=Strict cookie naming a server-side
session, and a CSRF token the page sends back in `X-CSRF-Token` on every state-changing request.

Sessions live in memory: a restarted server asks the UI to sign in again. A session holds the key's digest, not
the key, and is checked against the key ring on each request, so revoking the key ends its sessions.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from outcrop.access import ApiKey

SESSION_COOKIE = "outcrop_session"
CSRF_HEADER = "x-csrf-token"
SESSION_TTL_S = 12 * 3600


@dataclass(frozen=True)
class Session:
    digest: str
    name: str
    csrf: str
    expires: float


class Sessions:
    def __init__(self, ttl_s: float = SESSION_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, key: ApiKey) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = Session(key.digest, key.name, secrets.token_urlsafe(32), time.time() + self.ttl_s)
        with self._lock:
            self._by_token = {t: s for t, s in self._by_token.items() if s.expires > time.time()}
            self._by_token[token] = session
        return token, session

    def get(self, token: str) -> Session | None:
        with self._lock:
            session = self._by_token.get(token)
        return session if session is not None and session.expires > time.time() else None

    def end(self, token: str) -> None:
        with self._lock:
            self._by_token.pop(token, None)


def cookie_value(cookie_header: str, name: str = SESSION_COOKIE) -> str | None:
    for part in cookie_header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value
    return None
