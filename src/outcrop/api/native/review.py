"""Native REST API for the human review gate: list and inspect held assets, approve, reject, release, audit."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from outcrop.access import Principal
from outcrop.safety.review import SYSTEM_ACTOR, ReviewStore

router = APIRouter(prefix="/v1/review", tags=["review"])


class Approve(BaseModel):
    reviewer: str = Field(min_length=1, description="Who approves (recorded in the audit log)")
    note: str | None = None


class Reject(BaseModel):
    reviewer: str = Field(min_length=1, description="Who rejects (recorded in the audit log)")
    reason: str = Field(min_length=1, description="Why; required")


def _store(request: Request) -> ReviewStore:
    store: ReviewStore = request.app.state.outcrop.review
    return store


# Plain `def` handlers: SQLite and file reads block, so FastAPI runs them in its thread pool.
@router.get("/assets")
def list_assets(request: Request, status: str | None = None) -> dict[str, Any]:
    return {"assets": [asset.as_dict() for asset in _store(request).list(status)]}


@router.get("/assets/{asset_id}")
def get_asset(request: Request, asset_id: str) -> dict[str, Any]:
    return _store(request).get(asset_id).as_dict()


@router.get("/assets/{asset_id}/content")
def asset_content(request: Request, asset_id: str) -> Response:
    store = _store(request)
    asset = store.get(asset_id)
    return Response(store.content(asset_id), media_type=asset.media_type)


@router.post("/assets/{asset_id}/approve")
def approve(request: Request, asset_id: str, spec: Approve) -> dict[str, Any]:
    return _store(request).approve(asset_id, spec.reviewer, spec.note, identity=identity(request)).as_dict()


@router.post("/assets/{asset_id}/reject")
def reject(request: Request, asset_id: str, spec: Reject) -> dict[str, Any]:
    return _store(request).reject(asset_id, spec.reviewer, spec.reason, identity=identity(request)).as_dict()


@router.post("/assets/{asset_id}/release")
def release(request: Request, asset_id: str) -> dict[str, Any]:
    store = _store(request)
    store.release(asset_id, identity(request) or SYSTEM_ACTOR)
    return store.get(asset_id).as_dict()


def identity(request: Request) -> str | None:
    """The credential the request was admitted with (`api-key:alice`, `sigv4:AKID...`); None on an open server."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or principal.kind == "anonymous":
        return None
    return f"{principal.kind}:{principal.name}"


@router.get("/audit")
def audit(request: Request, asset_id: str | None = None) -> dict[str, Any]:
    return {"entries": [asdict(entry) for entry in _store(request).audit.entries(asset_id)]}


__all__ = ["router"]
