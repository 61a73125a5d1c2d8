"""Celery workers on a Redis broker, one queue per model family, so a GPU node consumes only what it holds.

The API tier sends `outcrop.run_job(job_id)` to `outcrop.<queue>`; `outcrop worker --queue <queue>` runs a
Celery worker whose task claims that job from the shared JobStore. Messages are acknowledged late, but the store's
leases, not Celery's redelivery, bring back the jobs of a worker killed mid-run: the API's Reaper sends stale
jobs again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from outcrop.jobs.model import Job
from outcrop.jobs.runner import JobRunner

TASK_NAME = "outcrop.run_job"


def queue_name(queue: str) -> str:
    return f"outcrop.{queue}"


def celery_app(broker_url: str) -> Any:
    from celery import Celery

    app = Celery("outcrop", broker=broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app


class CeleryDispatcher:
    def __init__(self, broker_url: str) -> None:
        self.app = celery_app(broker_url)

    def dispatch(self, job: Job) -> None:
        self.app.send_task(TASK_NAME, args=[job.id], queue=queue_name(job.spec.queue))


def run_worker(broker_url: str, runner: JobRunner, queues: Sequence[str], *, hostname: str | None = None) -> None:
    """Block running a Celery worker (solo pool: one job at a time per process, like one GPU) for `queues`."""
    app = celery_app(broker_url)

    @app.task(name=TASK_NAME)  # type: ignore[untyped-decorator]
    def run_job(job_id: str) -> None:
        runner.run_next(job_id)

    argv = ["worker", "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    argv.append("--queues=" + ",".join(queue_name(q) for q in queues))
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)
