"""Run one claimed job: keep its lease alive, pass progress on, finish it exactly once.

A heartbeat thread renews the lease while the handler works. When the store says the job is no longer ours (the
lease ran out and another worker took it, or someone cancelled it), the next progress report raises JobInterruptedError
inside the handler, so the model loop stops and nothing more is written.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from outcrop.errors import OutcropError
from outcrop.jobs.model import Job
from outcrop.jobs.store import CANCELLED_MESSAGE, JobStore

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class JobInterruptedError(Exception):
    """This worker no longer holds the job (cancelled, or its lease was taken over); stop without writing."""


class JobContext:
    """What a handler sees of the runner: progress reports that double as cancellation points."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.progress_value = 0.0
        self.interrupted = threading.Event()

    def progress(self, fraction: float) -> None:
        self.check()
        self.progress_value = min(1.0, max(self.progress_value, fraction))

    def check(self) -> None:
        if self.interrupted.is_set():
            raise JobInterruptedError(self.job.id)


class JobHandler(Protocol):
    def __call__(self, job: Job, context: JobContext) -> None:
        """Do the work and commit the outputs; raise OutcropError with a message the user can act on."""
        ...


@dataclass(frozen=True)
class RunnerConfig:
    owner: str
    queues: Collection[str]
    lease_s: float = 30.0
    max_attempts: int = 3


class JobRunner:
    def __init__(self, store: JobStore, handler: JobHandler, config: RunnerConfig, clock: Clock = utc_now) -> None:
        self.store = store
        self.handler = handler
        self.config = config
        self.clock = clock

    def run_next(self, job_id: str | None = None) -> Job | None:
        """Claim one job (the oldest, or exactly `job_id`) and run it to the end; None if there was none."""
        cfg = self.config
        job = self.store.claim(
            cfg.owner, cfg.queues, cfg.lease_s, self.clock(), job_id=job_id, max_attempts=cfg.max_attempts
        )
        if job is None:
            return None
        self._run(job)
        return self.store.get(job.id)

    def _run(self, job: Job) -> None:
        context = JobContext(job)
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(context, stop), name=f"lease-{job.id}", daemon=True)
        beat.start()
        try:
            self.handler(job, context)
            context.check()
            self._finish(job, None)
        except Exception as error:
            self._failed(job, context, error)
        finally:
            stop.set()
            beat.join()

    def _failed(self, job: Job, context: JobContext, error: Exception) -> None:
        # The model may wrap the interruption in its own error: what counts is whether the job is still ours.
        if context.interrupted.is_set():
            self._stopped(job)
        elif isinstance(error, OutcropError):
            self._finish(job, error.message)
        else:  # a bug or a crashed model: the job fails with a reason, the worker lives on
            log.exception("job %s failed", job.id)
            self._finish(job, f"Internal error while generating: {type(error).__name__}: {error}")

    def _stopped(self, job: Job) -> None:
        current = self.store.get(job.id)
        if current is not None and current.cancel_requested and current.owner == self.config.owner:
            self._finish(job, CANCELLED_MESSAGE)
        else:
            log.info("job %s: stopped, this worker no longer holds it", job.id)

    def _finish(self, job: Job, failure: str | None) -> None:
        now = self.clock()
        if failure is None:
            done = self.store.complete(job.id, self.config.owner, now)
        else:
            done = self.store.fail(job.id, self.config.owner, failure, now)
        if not done:
            log.warning("job %s: finished here but the lease was lost; the current holder decides", job.id)

    def _heartbeat(self, context: JobContext, stop: threading.Event) -> None:
        # Renew well before the lease runs out, and at least every second so progress bars move smoothly.
        interval = min(self.config.lease_s / 3, 1.0)
        while not stop.wait(interval):
            held = self.store.heartbeat(
                context.job.id, self.config.owner, context.progress_value, self.config.lease_s, self.clock()
            )
            if not held:
                context.interrupted.set()
                return
