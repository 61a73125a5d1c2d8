"""build_app: the one ASGI application serving the Bedrock wire API (and, later, the native API and UI)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from outcrop import __version__
from outcrop.access import key_ring
from outcrop.api.bedrock import agent_api, agent_runtime_api, async_api, control_api, runtime_api, stream_api, sts_api
from outcrop.api.bedrock.s3vectors_api import ROUTES as S3VECTORS_ROUTES
from outcrop.api.errors import (
    on_client_disconnect,
    on_http_error,
    on_outcrop_error,
    on_request_validation_error,
    on_unexpected_error,
)
from outcrop.api.metrics import Metrics
from outcrop.api.native import chat as chat_api
from outcrop.api.native import embeddings as embeddings_api
from outcrop.api.native import images as images_api
from outcrop.api.native import jobs as jobs_api
from outcrop.api.native import knowledge_bases as knowledge_bases_api
from outcrop.api.native import models as models_api
from outcrop.api.native import review as review_api
from outcrop.api.native import session as session_api
from outcrop.api.native import ui as ui_api
from outcrop.api.native.docs import install_docs
from outcrop.api.openai import images as openai_images_api
from outcrop.api.request_ids import request_id_middleware
from outcrop.api.security.gate import Gate
from outcrop.api.security.middleware import AccessMiddleware
from outcrop.errors import OutcropError
from outcrop.services import Services, build_services
from outcrop.settings import Settings


def build_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The ASGI app over the services of `build_services(settings)`; its lifespan starts and closes them."""
    server = services or build_services(settings)
    gate = Gate(settings.signing_credentials, key_ring(settings))  # keys from the file or PostgreSQL

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await asyncio.gather(*(asyncio.wrap_future(future) for future in server.preload()))  # ready once loaded
            await asyncio.to_thread(server.start)
            await server.resume()
            app.state.ready = True
            yield
        finally:
            await asyncio.to_thread(server.close)
            await asyncio.to_thread(gate.keys.close)

    app = FastAPI(title="Outcrop", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    install_docs(app)
    app.state.outcrop = server
    app.state.ready = False
    app.state.gate = gate
    metrics = Metrics(server.executor, server.jobs.store)
    app.add_middleware(AccessMiddleware, gate=app.state.gate, max_body_bytes=settings.max_body_bytes)
    app.middleware("http")(request_id_middleware)  # outermost: access errors carry the request id
    app.add_api_route("/metrics", metrics.endpoint, methods=["GET"], include_in_schema=False)
    app.add_exception_handler(OutcropError, on_outcrop_error)
    app.add_exception_handler(ClientDisconnect, on_client_disconnect)
    app.add_exception_handler(Exception, on_unexpected_error)
    app.add_exception_handler(RequestValidationError, on_request_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.router.routes.extend(
        [*runtime_api.ROUTES, *async_api.ROUTES, *control_api.ROUTES, *agent_runtime_api.ROUTES, *agent_api.ROUTES]
    )
    app.router.routes.extend([*S3VECTORS_ROUTES, *stream_api.ROUTES])
    app.include_router(knowledge_bases_api.router)
    app.include_router(review_api.router)
    app.include_router(images_api.router)
    app.include_router(openai_images_api.router)  # /v1/images/{generations,edits,variations}
    app.include_router(embeddings_api.router)
    app.include_router(models_api.router)
    app.include_router(jobs_api.router)
    app.include_router(chat_api.router)
    app.add_api_route("/", sts_api.sts, methods=["POST"], include_in_schema=False)
    app.include_router(session_api.router)  # before the UI's catch-all /ui/{path}
    app.include_router(ui_api.router)
    _add_probes(app, server)
    return app


def _add_probes(app: FastAPI, server: Services) -> None:
    @app.get("/ready", tags=["meta"])
    async def ready(request: Request) -> JSONResponse:
        """200 once preloaded models are loaded and background work started; 503 before (and while closing)."""
        if request.app.state.ready and not server.closed:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "starting"}, status_code=503)

    @app.get("/health", tags=["meta"])
    async def health(request: Request) -> JSONResponse:
        residency = server.executor.residency
        memory = {d: {"budget": b, "used": residency.used(d)} for d, b in residency.budgets().items()}
        devices = {"configured": server.settings.device, "resolved": server.executor.devices.resolved()}
        return JSONResponse({"status": "ok", "version": __version__, "profile": server.catalog.profile,
                             "devices": devices, "memory": memory})  # fmt: skip
