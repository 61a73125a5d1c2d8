"""Web UI sign-in: POST /ui/session with an API key sets the session cookie and returns the CSRF token; GET says
who is signed in (and the token again, for a reloaded page); DELETE signs out. The page keeps the CSRF token in
memory and sends it as X-CSRF-Token; the cookie itself is HttpOnly and SameSite=Strict."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from outcrop.api.security.gate import Gate
from outcrop.api.security.sessions import SESSION_COOKIE, cookie_value
from outcrop.errors import UnrecognizedClientError

router = APIRouter(prefix="/ui", tags=["ui"], include_in_schema=False)


class SignIn(BaseModel):
    api_key: str = Field(alias="apiKey", min_length=1, max_length=200)


def _gate(request: Request) -> Gate:
    gate: Gate = request.app.state.gate
    return gate


@router.get("/session")
def whoami(request: Request) -> dict[str, Any]:
    gate = _gate(request)
    session = gate.sessions.get(cookie_value(request.headers.get("cookie", "")) or "")
    signed_in = session is not None and gate.keys.by_digest(session.digest) is not None
    return {"authRequired": gate.locked(), "signedIn": signed_in, "name": session.name if session else None,
            "csrfToken": session.csrf if session and signed_in else None}  # fmt: skip


@router.post("/session")
def sign_in(request: Request, form: SignIn) -> JSONResponse:
    gate = _gate(request)
    key = gate.keys.find(form.api_key)
    if key is None:
        raise UnrecognizedClientError("That API key is invalid or revoked; create one with `outcrop keys create`.")
    token, session = gate.sessions.create(key)
    response = JSONResponse({"signedIn": True, "name": key.name, "csrfToken": session.csrf})
    response.set_cookie(SESSION_COOKIE, token, max_age=int(gate.sessions.ttl_s), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")  # fmt: skip
    return response


@router.delete("/session")
def sign_out(request: Request) -> JSONResponse:
    _gate(request).sessions.end(cookie_value(request.headers.get("cookie", "")) or "")
    response = JSONResponse({"signedIn": False})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
