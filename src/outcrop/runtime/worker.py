"""One worker thread and one bounded queue per loaded model.

Two requests never enter the same model object at once (diffusers pipelines and tokenizers keep state), a
full queue refuses work at once instead of growing without bound, and a backend that raises answers that one
request with ModelErrorException while the worker goes on serving. The model itself is held by the Residency:
a queued task keeps it resident, and between tasks it may be evicted and is loaded again on the next one.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field

from outcrop.backends.base import Backend, ProgressFn, TaskCancelled, no_progress
from outcrop.errors import ModelError, OutcropError, ThrottlingError
from outcrop.runtime.residency import Residency
from outcrop.tasks import EmbedTask, Task

log = logging.getLogger(__name__)


@dataclass
class _Job:
    task: Task | None  # None: load only
    future: Future[object]
    progress: ProgressFn = field(default=no_progress)


class ModelWorker:
    """Runs tasks for one model, which the residency loads on first use (in this worker's thread)."""

    def __init__(self, name: str, residency: Residency, queue_size: int) -> None:
        self.name = name
        self._residency = residency
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._loop, name=f"outcrop-{name}", daemon=True)
        self._thread.start()

    @property
    def loaded(self) -> bool:
        return self._residency.info(self.name).loaded

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

    def submit(self, task: Task, progress: ProgressFn = no_progress) -> Future[object]:
        return self._enqueue(_Job(task, Future(), progress), block=False)

    def warm(self) -> Future[object]:
        """Load the model now (in the worker thread) instead of on the first request."""
        return self._enqueue(_Job(None, Future()), block=True)

    def stop(self, timeout: float | None = None) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _enqueue(self, job: _Job, *, block: bool) -> Future[object]:
        self._residency.reserve(self.name)  # from now until it is served, the model must not be evicted
        try:
            self._queue.put(job, block=block)
        except queue.Full:
            self._residency.release(self.name)
            raise ThrottlingError(
                f"Too many requests are waiting for {self.name} ({self._queue.maxsize} queued); "
                "retry after a moment or raise OUTCROP_QUEUE_SIZE."
            ) from None
        return job.future

    def _loop(self) -> None:
        pending: deque[_Job | None] = deque()
        while (job := pending.popleft() if pending else self._queue.get()) is not None:
            if job.future.set_running_or_notify_cancel():
                self._serve(job, pending)
            else:
                self._residency.release(self.name)

    def _serve(self, job: _Job, pending: deque[_Job | None]) -> None:
        jobs = [job]
        try:
            with self._residency.use(self.name) as backend:
                if _batchable(job, backend):  # embeddings go through the model together when it can batch them
                    jobs += self._drain_batch(pending, int(getattr(backend, "max_batch", 1)) - 1)
                self._run_batch(backend, jobs)
        except Exception as exc:  # the load failed: every job waiting on it gets the reason
            error = exc if isinstance(exc, OutcropError) else self._model_error(exc, "load")
            for each in jobs:
                if not each.future.done():
                    each.future.set_exception(error)
        finally:
            self._residency.release(self.name, len(jobs))

    def _drain_batch(self, pending: deque[_Job | None], limit: int) -> list[_Job]:
        """Queued embedding jobs to run with the current one; anything else waits its turn in `pending`."""
        batch: list[_Job] = []
        while len(batch) < limit:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None and isinstance(job.task, EmbedTask) and not pending:
                if job.future.set_running_or_notify_cancel():
                    batch.append(job)
                else:
                    self._residency.release(self.name)
            else:
                pending.append(job)
        return batch

    def _run_batch(self, backend: Backend, jobs: list[_Job]) -> None:
        if len(jobs) == 1:
            self._run(backend, jobs[0])
            return
        try:
            results = backend.run_batch([job.task for job in jobs])  # type: ignore[attr-defined]
        except Exception:  # one bad input must not fail its neighbours: retry each alone for its own answer
            log.info("batch of %d failed on %s; running each task alone", len(jobs), self.name)
            for job in jobs:
                self._run(backend, job)
            return
        for job, result in zip(jobs, results, strict=True):
            job.future.set_result(result)

    def _run(self, backend: Backend, job: _Job) -> None:
        try:
            result = None if job.task is None else backend.run(job.task, job.progress)
            job.future.set_result(result)
        except OutcropError as exc:
            job.future.set_exception(exc)
        except TaskCancelled as exc:  # its caller left: nothing to report, the worker moves on
            log.info("model %s stopped %s: its request was cancelled", self.name, type(job.task).__name__)
            job.future.set_exception(exc)
        except Exception as exc:  # any backend failure is the model's error, reported to this caller only
            what = type(job.task).__name__ if job.task else "load"
            log.exception("model %s failed on %s", self.name, what)
            job.future.set_exception(self._model_error(exc, what))

    def _model_error(self, exc: Exception, what: str) -> ModelError:
        if what == "load":
            log.error("model %s failed to load: %s: %s", self.name, type(exc).__name__, exc, exc_info=exc)
        return ModelError(
            f"The model {self.name} returned an error: {type(exc).__name__}: {exc}",
            originalStatusCode=500,
            resourceName=self.name,
        )


def _batchable(job: _Job, backend: Backend) -> bool:
    return isinstance(job.task, EmbedTask) and hasattr(backend, "run_batch")
