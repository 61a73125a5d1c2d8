"""The composition root: `build_services(settings)` assembles everything the server, the Celery worker and the
in-process SDK client share (catalog, executor, embedder, knowledge bases, S3 Vectors, safety, jobs), so the three
cannot drift apart. `start()` and `close()` are the only lifecycle: what one builds, one closes.

Not yet here: in scale-out the review store and the knowledge-base registry still live under OUTCROP_HOME (SQLite
and files), not in PostgreSQL as job state does, so the API tier is not stateless for them.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from outcrop import loop_guard
from outcrop.catalog import Catalog, load_catalog
from outcrop.index.knowledge_bases import KnowledgeBases
from outcrop.index.registry import Registry
from outcrop.index.stores import IndexStores
from outcrop.index.vector_buckets import VectorBuckets
from outcrop.runtime.devices import Devices
from outcrop.runtime.embedder import Embedder, ModelEmbeddings
from outcrop.runtime.embedding_cache import EmbeddingCache
from outcrop.runtime.executor import Executor
from outcrop.runtime.residency import Residency
from outcrop.safety.filters import ContentFilter, FilterRules
from outcrop.safety.release import Provenance, Release, VideoRelease
from outcrop.safety.review import ReviewStore
from outcrop.services.async_jobs import AsyncJobs
from outcrop.services.job_wiring import JobsWiring, build_jobs, s3_config
from outcrop.settings import Settings
from outcrop.storage import make_client

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What every door into Outcrop shares. Built by `build_services`; `close()` releases all of it, once."""

    settings: Settings
    catalog: Catalog
    executor: Executor
    embedder: Embedder
    knowledge_bases: KnowledgeBases
    vector_buckets: VectorBuckets
    guard: ContentFilter
    review: ReviewStore
    release: Release
    job_workers: JobsWiring
    _closed: bool = field(default=False, repr=False)
    _close_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def jobs(self) -> AsyncJobs:
        return self.job_workers.service

    @property
    def closed(self) -> bool:
        return self._closed

    def preload(self) -> list[Future[object]]:
        """Start loading the models named in settings.preload; the futures complete when each is loaded (each logs
        when it starts and when it is ready, so a long start shows its progress)."""
        futures = []
        for model_id in self.settings.preload:
            log.info("preloading %s", model_id)
            report = _LoadReport(model_id, time.monotonic())
            for future in self.executor.preload(self.catalog.resolve(model_id)):
                future.add_done_callback(report)
                futures.append(future)
        return futures

    def start(self) -> None:
        """Background work of a serving process: in-process job workers start (blocking; call from a thread)."""
        self.job_workers.start()

    async def resume(self) -> None:
        """Ingestions a stop interrupted start again: they run as tasks of the serving event loop."""
        if resumed := await self.knowledge_bases.resume_interrupted():
            log.warning("resuming %d ingestion(s) a stop interrupted", len(resumed))

    def close(self) -> None:
        """Stop the workers, then close every store and unload every model (safe to call twice)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self.job_workers.stop()
        self.knowledge_bases.close()
        self.vector_buckets.close()
        self.review.close()
        self.executor.shutdown()
        if self.embedder.cache is not None:
            self.embedder.cache.close()


def build_services(settings: Settings, catalog: Catalog | None = None) -> Services:
    if settings.check_event_loop:
        loop_guard.enable()  # before any connection or client is made: they are watched from birth
    catalog = catalog or load_catalog(settings.profile, settings.models_dir, settings.catalog_file)
    executor = build_executor(settings, catalog)
    embedder = Embedder(executor, _embedding_cache(settings))
    guard = ContentFilter(FilterRules.for_home(settings.home))
    review = ReviewStore(
        settings.home / "review",
        enabled=settings.review_enabled,
        release_to=settings.release_location,
        s3_client=lambda: s3_client(settings),
        boundaries=settings.boundaries,
    )
    signer = Provenance(settings.keys_dir, settings.provenance_key, settings.c2pa_enabled, settings.c2pa_chain)
    video_release = VideoRelease(signer, review, settings.video_watermark_every)
    return Services(
        settings=settings,
        catalog=catalog,
        executor=executor,
        embedder=embedder,
        knowledge_bases=_knowledge_bases(settings, embedder),
        vector_buckets=VectorBuckets(settings.home / "s3vectors", settings.pg_dsn),
        guard=guard,
        review=review,
        release=Release(guard, signer, review),
        job_workers=build_jobs(settings, catalog, executor, guard, video_release),
    )


def build_executor(settings: Settings, catalog: Catalog) -> Executor:
    return Executor(
        catalog,
        queue_size=settings.queue_size,
        timeout_s=settings.request_timeout_s,
        devices=Devices(settings.device, settings.dtype),
        residency=Residency(settings.model_memory_budget),
        threads=settings.torch_threads,
    )


@dataclass(frozen=True)
class _LoadReport:
    """Logs a preloaded model's outcome when its load future completes."""

    model_id: str
    started: float

    def __call__(self, future: Future[object]) -> None:
        seconds = time.monotonic() - self.started
        if future.exception() is None:
            log.info("%s loaded in %.1f s", self.model_id, seconds)
        else:
            log.error("%s failed to load after %.1f s: %s", self.model_id, seconds, future.exception())


def _embedding_cache(settings: Settings) -> EmbeddingCache | None:
    if settings.embedding_cache_entries <= 0:
        return None
    return EmbeddingCache(settings.cache_dir / "embeddings.sqlite", settings.embedding_cache_entries)


def _knowledge_bases(settings: Settings, embedder: Embedder) -> KnowledgeBases:
    return KnowledgeBases(
        Registry(settings.home / "kb" / "registry.sqlite"),
        IndexStores(settings.home / "kb", settings.pg_dsn),
        ModelEmbeddings(embedder),
        s3_client=lambda: s3_client(settings),
        ingest_in_flight=max(1, settings.queue_size // 2),  # the other half of each model's queue stays interactive
        boundaries=settings.boundaries,
    )


def s3_client(settings: Settings) -> Any:
    """boto3 S3 client for s3:// sources and release locations: the OUTCROP_S3_* endpoint, region and credentials,
    as for job outputs (unset credentials: the usual AWS environment/profile)."""
    return make_client(s3_config(settings))
