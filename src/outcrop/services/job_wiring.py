"""Assemble the async-job machinery from Settings: store, storage, handler, runner, dispatch.

Embedded default: SQLite job state, in-process worker threads. With OUTCROP_JOBS_DSN, PostgreSQL; with
OUTCROP_BROKER_URL, jobs go to Celery workers (`outcrop worker`) and a reaper re-sends jobs whose worker died.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from outcrop.catalog import Catalog, Family
from outcrop.families.base import JobKind
from outcrop.families.registry import job_kinds
from outcrop.jobs import Job, JobStore
from outcrop.jobs.dispatch import Dispatcher, NoDispatcher, PoolDispatcher
from outcrop.jobs.pool import WorkerPool
from outcrop.jobs.reaper import Reaper
from outcrop.jobs.runner import JobContext, JobHandler, JobRunner, RunnerConfig
from outcrop.runtime.executor import Executor
from outcrop.safety.filters import ContentFilter
from outcrop.safety.release import VideoRelease
from outcrop.services.async_jobs import ASYNC_FAMILIES, AsyncJobs
from outcrop.services.embedding_jobs import EmbeddingJobHandler
from outcrop.services.video_jobs import VideoJobHandler
from outcrop.settings import Settings
from outcrop.storage import ArtifactStore, S3Config, open_store


def all_queues() -> list[str]:
    return [family.value.replace(":", "-") for family in ASYNC_FAMILIES]


def job_store(settings: Settings) -> JobStore:
    if settings.jobs_dsn:
        from outcrop.jobs.postgres import PostgresJobStore

        return PostgresJobStore(settings.jobs_dsn)
    from outcrop.jobs.sqlite import SqliteJobStore

    return SqliteJobStore(settings.home / "jobs" / "jobs.sqlite")


def s3_config(settings: Settings) -> S3Config:
    secret = settings.s3_secret_access_key
    return S3Config(
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region or settings.region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=None if secret is None else secret.get_secret_value(),
    )


def store_opener(settings: Settings) -> Callable[[str], ArtifactStore]:
    config = s3_config(settings)

    def opener(uri: str) -> ArtifactStore:
        return open_store(uri, config)

    return opener


def worker_owner() -> str:
    """Unique per process life: a restarted server must not mistake its predecessor's leases for its own."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def job_runner(settings: Settings, store: JobStore, handler: JobHandler, queues: list[str]) -> JobRunner:
    config = RunnerConfig(worker_owner(), queues, settings.job_lease_s, settings.job_max_attempts)
    return JobRunner(store, handler, config)


@dataclass(frozen=True)
class FamilyHandlers:
    """The job handler for each async model family (Nova Reel video, Nova 2 segmented embeddings)."""

    catalog: Catalog
    by_family: Mapping[Family, JobHandler]

    def __call__(self, job: Job, context: JobContext) -> None:
        self.by_family[self.catalog.resolve(job.spec.model_id).family](job, context)


def job_handlers(settings: Settings, catalog: Catalog, executor: Executor, release: VideoRelease) -> FamilyHandlers:
    opener = store_opener(settings)
    video = VideoJobHandler(catalog, executor, release, opener, Path(settings.home) / "jobs" / "work")
    embeddings = EmbeddingJobHandler(catalog, executor, opener)
    by_kind: dict[JobKind, JobHandler] = {JobKind.VIDEO: video, JobKind.SEGMENTED_EMBEDDING: embeddings}
    handlers = {family: by_kind[kind] for family, kind in job_kinds().items()}
    return FamilyHandlers(catalog, handlers)


@dataclass
class JobsWiring:
    service: AsyncJobs
    runner: JobRunner
    pool: WorkerPool | None = None
    reaper: Reaper | None = None
    started: bool = False

    def start(self) -> None:
        self.started = True
        if self.pool is not None:
            self.pool.start()
        if self.reaper is not None:
            self.reaper.start()

    def runner_for(self, queues: list[str]) -> JobRunner:
        """A runner with this wiring's store and handler that takes jobs from `queues` only (a Celery worker)."""
        config = self.runner.config
        return JobRunner(self.runner.store, self.runner.handler, replace(config, queues=queues))

    def stop(self) -> None:
        """Stop the threads `start` started (none in a Celery worker, which only uses the runner); close the store."""
        if self.started and self.pool is not None:
            self.pool.stop(timeout=30)
        if self.started and self.reaper is not None:
            self.reaper.stop()
        self.service.store.close()


def build_jobs(
    settings: Settings, catalog: Catalog, executor: Executor, guard: ContentFilter, release: VideoRelease
) -> JobsWiring:
    store = job_store(settings)
    runner = job_runner(settings, store, job_handlers(settings, catalog, executor, release), all_queues())
    pool, reaper, dispatcher = None, None, _dispatcher(settings)
    if dispatcher is None:
        pool = WorkerPool(runner, threads=settings.job_workers) if settings.job_workers > 0 else None
        dispatcher = PoolDispatcher(pool) if pool is not None else NoDispatcher()
    else:
        reaper = Reaper(store, dispatcher, settings.job_lease_s)
    service = AsyncJobs(store, dispatcher, catalog, guard, store_opener(settings), settings.region, settings.account_id,
                        boundaries=settings.boundaries)  # fmt: skip
    return JobsWiring(service, runner, pool, reaper)


def _dispatcher(settings: Settings) -> Dispatcher | None:
    if not settings.broker_url:
        return None
    from outcrop.jobs.celery_queue import CeleryDispatcher

    return CeleryDispatcher(settings.broker_url)
