"""The web UI: static HTML, CSS and JavaScript modules from the `outcrop.ui` package folder, served at /ui/.

A small router rather than a StaticFiles mount so that /ui redirects to /ui/, every file goes out with a media type
browsers accept for ES modules, and nothing outside the folder can be reached. It also serves thumbnails of
knowledge-base image items for the search page: the native search answer names items by URI only, and the browser
cannot read server-side paths itself.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from outcrop.api.bedrock.agent_runtime_api import thumbnail_png
from outcrop.api.bedrock.request import state_of
from outcrop.errors import ResourceNotFoundError
from outcrop.index.sources import ItemKind, read_uri

router = APIRouter(prefix="/ui", tags=["ui"], include_in_schema=False)
ROOT = (Path(__file__).resolve().parent.parent.parent / "ui").resolve()
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
# The UI is a handful of small files that change with the server version: always revalidate.
HEADERS = {"Cache-Control": "no-cache"}


@router.get("")
def redirect() -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=307)


@router.get("/")
def index() -> FileResponse:
    return asset("index.html")


@router.get("/thumbnails/{kb_id}/{item_id}")
def thumbnail(request: Request, kb_id: str, item_id: str) -> Response:
    """A PNG of at most 256 px a side for one image item of a knowledge base (only items it has ingested).
    A plain function: FastAPI runs it in a thread (registry SQL, reading the file or S3 object, resizing)."""
    kbs = state_of(request).knowledge_bases
    kb = kbs.get(kb_id)
    found = [item for item in kbs.registry.items(kb.id, [item_id]) if item.kind is ItemKind.IMAGE]
    if not found:
        raise ResourceNotFoundError(f"Knowledge base {kb_id} has no image item {item_id}.")
    uri = found[0].uri
    png = thumbnail_png(read_uri(uri, kbs.s3_client), max_side=256)
    return Response(png, media_type="image/png", headers=HEADERS)


@router.get("/{path:path}")
def asset(path: str) -> FileResponse:
    file = (ROOT / path).resolve()
    media_type = MEDIA_TYPES.get(file.suffix)
    if not file.is_relative_to(ROOT) or not file.is_file() or media_type is None:
        raise ResourceNotFoundError(f"The UI has no file {path!r}; open /ui/.")
    return FileResponse(file, media_type=media_type, headers=HEADERS)


__all__ = ["router"]
