"""How a new job reaches a worker: wake the in-process pool, or send a Celery message to the job's queue.

The message only says "job X may be ready"; the JobStore decides who runs it. A duplicate or late message finds
the job already held or finished and does nothing, which is what makes redelivery safe.
"""

from __future__ import annotations

from typing import Protocol

from outcrop.jobs.model import Job
from outcrop.jobs.pool import WorkerPool


class Dispatcher(Protocol):
    def dispatch(self, job: Job) -> None: ...


class PoolDispatcher:
    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool

    def dispatch(self, job: Job) -> None:
        self.pool.notify()


class NoDispatcher:
    """Jobs wait in the store until some worker polls it (a deployment whose workers run elsewhere)."""

    def dispatch(self, job: Job) -> None:
        return None
