"""The decision for one request: who sent it (SigV4, an API key, or a UI session) and whether they may.

With no credentials configured (no access key pair, no active API key) every request is admitted as anonymous:
the single-user loopback server. Once either exists, only `policy.is_public` routes answer without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from outcrop.access import KeyRing, Principal, Quotas
from outcrop.access.keys import ANONYMOUS
from outcrop.api.bedrock.sigv4 import SignedRequest, is_presigned, missing_message, verify
from outcrop.api.security.policy import Need, is_public, need_of
from outcrop.api.security.sessions import CSRF_HEADER, SESSION_COOKIE, Sessions, cookie_value
from outcrop.errors import AccessDeniedError, UnrecognizedClientError

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Gate:
    credentials: Mapping[str, str]
    keys: KeyRing
    sessions: Sessions = field(default_factory=Sessions)
    quotas: Quotas = field(default_factory=Quotas)

    def locked(self) -> bool:
        return bool(self.credentials) or self.keys.active()

    def admit(self, request: SignedRequest, path: str) -> Principal:
        """The caller of `request` if they may make it; raises AccessDeniedError (or a subclass) if not."""
        if not self.locked() or is_public(request.method, path):
            return ANONYMOUS
        principal = self.authenticate(request)
        authorize(principal, need_of(request.raw_path, request.body))
        return principal

    def authenticate(self, request: SignedRequest) -> Principal:
        authorization = request.headers.get("authorization", "").strip()
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return self._api_key(token.strip())
        if authorization or is_presigned(request.query_string):
            return Principal(verify(request, self.credentials), "sigv4")
        session = cookie_value(request.headers.get("cookie", ""))
        if session is not None:
            return self._session(session, request)
        raise AccessDeniedError(missing_message())

    def _api_key(self, token: str) -> Principal:
        key = self.keys.find(token) if token else None
        if key is None:
            raise UnrecognizedClientError(
                "The API key included in the request is invalid or revoked. Send a key from `outcrop keys create` "
                "as 'Authorization: Bearer <key>'."
            )
        return Principal(key.name, "api-key", key)

    def _session(self, token: str, request: SignedRequest) -> Principal:
        session = self.sessions.get(token)
        key = None if session is None else self.keys.by_digest(session.digest)
        if session is None or key is None:
            raise AccessDeniedError(f"The {SESSION_COOKIE} session has expired or its key was revoked; sign in again.")
        if request.method in _UNSAFE and request.headers.get(CSRF_HEADER) != session.csrf:
            raise AccessDeniedError(
                f"A signed-in change needs the session's CSRF token in the {CSRF_HEADER} header; reload the UI."
            )
        return Principal(key.name, "session", key)


def authorize(principal: Principal, need: Need) -> None:
    refused = sorted(action.value for action in need.actions if not principal.may(action))
    if refused:
        raise AccessDeniedError(
            f"Key '{principal.name}' may not use {', '.join(refused)}; use a key created with "
            f"`outcrop keys create --action {' --action '.join(refused)}`."
        )
    if need.unnamed_model and principal.key is not None and "*" not in principal.key.models:
        raise AccessDeniedError(
            f"Key '{principal.name}' may use only models {', '.join(principal.key.models)}; name the model in the "
            "body's modelId instead of relying on the route's default."
        )
    if need.model_id is not None and not principal.may_use(need.model_id):
        raise AccessDeniedError(
            f"Key '{principal.name}' may not use model {need.model_id}; use a key whose --model patterns match it."
        )
