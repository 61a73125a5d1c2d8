"""/docs (Swagger UI) and /redoc served from assets bundled in the `fastapi-offline` wheel: no page references a
host other than this server, so the API docs work on machines without internet."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = "/docs-assets"


def install_docs(app: FastAPI) -> None:
    """Add /docs, /redoc and their assets; build the app with docs_url=None and redoc_url=None."""
    folder = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(folder)), name="docs-assets")
    app.add_api_route("/docs", _swagger, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", _redoc, methods=["GET"], include_in_schema=False)


async def _swagger(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=str(request.app.openapi_url), title=f"{request.app.title} API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
    )  # fmt: skip


async def _redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=str(request.app.openapi_url), title=f"{request.app.title} API",
        redoc_js_url=f"{ASSETS}/redoc.standalone.js", redoc_favicon_url=f"{ASSETS}/favicon.png",
        with_google_fonts=False,
    )  # fmt: skip
