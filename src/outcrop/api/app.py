"""build_app: the one ASGI application serving the Bedrock wire API (and, later, the native API and UI)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from outcrop import __version__
from outcrop.api.bedrock import agent_api, agent_runtime_api, async_api, control_api, runtime_api, sts_api
from outcrop.api.bedrock.s3vectors_api import ROUTES as S3VECTORS_ROUTES
from outcrop.api.errors import on_outcrop_error, on_request_validation_error, on_unexpected_error
from outcrop.api.job_wiring import build_jobs
from outcrop.api.metrics import Metrics
from outcrop.api.native import chat as chat_api
from outcrop.api.native import embeddings as embeddings_api
from outcrop.api.native import images as images_api
from outcrop.api.native import jobs as jobs_api
from outcrop.api.native import knowledge_bases as knowledge_bases_api
from outcrop.api.native import models as models_api
from outcrop.api.native import review as review_api
from outcrop.api.native import ui as ui_api
from outcrop.api.request_ids import request_id_middleware
from outcrop.api.state import ServerState
from outcrop.catalog import Catalog, load_catalog
from outcrop.errors import OutcropError
from outcrop.index.knowledge_bases import KnowledgeBases
from outcrop.index.registry import Registry
from outcrop.index.stores import IndexStores
from outcrop.runtime.devices import Devices
from outcrop.runtime.embedder import Embedder, ModelEmbeddings
from outcrop.runtime.embedding_cache import EmbeddingCache
from outcrop.runtime.executor import Executor
from outcrop.runtime.residency import Residency
from outcrop.safety.filters import ContentFilter, FilterRules
from outcrop.safety.release import Provenance, Release, VideoRelease
from outcrop.safety.review import ReviewStore
from outcrop.settings import Settings

log = logging.getLogger(__name__)


def build_state(settings: Settings, catalog: Catalog | None = None) -> ServerState:
    catalog = catalog or load_catalog(settings.profile, settings.models_dir, settings.catalog_file)
    executor = Executor(
        catalog,
        queue_size=settings.queue_size,
        timeout_s=settings.request_timeout_s,
        devices=Devices(settings.device, settings.dtype),
        residency=Residency(settings.model_memory_budget),
        threads=settings.torch_threads,
    )
    cache = None
    if settings.embedding_cache_entries > 0:
        cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite", settings.embedding_cache_entries)
    embedder = Embedder(executor, cache)
    knowledge_bases = KnowledgeBases(
        Registry(settings.home / "kb" / "registry.sqlite"),
        IndexStores(settings.home / "kb", settings.pg_dsn),
        ModelEmbeddings(embedder),
        s3_client=lambda: s3_client(settings),
        ingest_in_flight=max(1, settings.queue_size // 2),  # the other half of each model's queue stays interactive
    )
    guard = ContentFilter(FilterRules.for_home(settings.home))
    review = ReviewStore(
        settings.home / "review",
        enabled=settings.review_enabled,
        release_to=settings.release_location,
        s3_client=lambda: s3_client(settings),
    )
    signer = Provenance(settings.keys_dir, settings.provenance_key, settings.c2pa_enabled, settings.c2pa_chain)
    video_release = VideoRelease(signer, review, settings.video_watermark_every)
    jobs = build_jobs(settings, catalog, executor, guard, video_release)
    return ServerState(
        settings=settings,
        catalog=catalog,
        executor=executor,
        embedder=embedder,
        knowledge_bases=knowledge_bases,
        guard=guard,
        review=review,
        release=Release(guard, signer, review),
        credentials=settings.signing_credentials,
        jobs=jobs.service,
        job_workers=jobs,
    )


def s3_client(settings: Settings) -> Any:
    """boto3 S3 client for s3:// sources; credentials from the usual AWS environment/profile."""
    import boto3

    return boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.region)


def build_app(settings: Settings, state: ServerState | None = None) -> FastAPI:
    """The ASGI app; all state lives under settings.home."""
    server = state or build_state(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loads = [f for model_id in settings.preload for f in server.executor.preload(server.catalog.resolve(model_id))]
        await asyncio.gather(*(asyncio.wrap_future(future) for future in loads))  # ready only once loaded
        if resumed := server.knowledge_bases.resume_interrupted():
            log.warning("resuming %d ingestion(s) a stop interrupted", len(resumed))
        server.job_workers.start()
        yield
        server.job_workers.stop()
        server.knowledge_bases.close()
        server.review.close()
        server.executor.shutdown()
        if server.embedder.cache is not None:
            server.embedder.cache.close()

    app = FastAPI(title="Outcrop", version=__version__, lifespan=lifespan)
    app.state.outcrop = server
    metrics = Metrics(server.executor)
    app.middleware("http")(request_id_middleware)
    app.add_api_route("/metrics", metrics.endpoint, methods=["GET"], include_in_schema=False)
    app.add_exception_handler(OutcropError, on_outcrop_error)
    app.add_exception_handler(Exception, on_unexpected_error)
    app.add_exception_handler(RequestValidationError, on_request_validation_error)
    app.router.routes.extend(
        [*runtime_api.ROUTES, *async_api.ROUTES, *control_api.ROUTES, *agent_runtime_api.ROUTES, *agent_api.ROUTES]
    )
    app.router.routes.extend(S3VECTORS_ROUTES)
    app.include_router(knowledge_bases_api.router)
    app.include_router(review_api.router)
    app.include_router(images_api.router)
    app.include_router(embeddings_api.router)
    app.include_router(models_api.router)
    app.include_router(jobs_api.router)
    app.include_router(chat_api.router)
    app.add_api_route("/", sts_api.sts, methods=["POST"], include_in_schema=False)
    app.include_router(ui_api.router)

    @app.get("/health", tags=["meta"])
    async def health(request: Request) -> JSONResponse:
        residency = server.executor.residency
        memory = {d: {"budget": b, "used": residency.used(d)} for d, b in residency.budgets().items()}
        devices = {"configured": server.settings.device, "resolved": server.executor.devices.resolved()}
        return JSONResponse({"status": "ok", "version": __version__, "profile": server.catalog.profile,
                             "devices": devices, "memory": memory})  # fmt: skip

    return app
