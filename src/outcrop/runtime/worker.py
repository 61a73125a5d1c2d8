"""One worker thread and one bounded queue per loaded model.

Two requests never enter the same model object at once (diffusers pipelines and tokenizers keep state), a
full queue refuses work at once instead of growing without bound, and a backend that raises answers that one
request with ModelErrorException while the worker goes on serving.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from outcrop.backends.base import Backend, ProgressFn, no_progress
from outcrop.errors import ModelError, OutcropError, ThrottlingError
from outcrop.tasks import EmbedTask, Task

log = logging.getLogger(__name__)

Loader = Callable[[], Backend]


@dataclass
class _Job:
    task: Task | None  # None: load only
    future: Future[object]
    progress: ProgressFn = field(default=no_progress)


class ModelWorker:
    """Runs tasks for one model, loading it on first use in the worker thread."""

    def __init__(self, name: str, loader: Loader, queue_size: int) -> None:
        self.name = name
        self._loader = loader
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_size)
        self._backend: Backend | None = None
        self._thread = threading.Thread(target=self._loop, name=f"outcrop-{name}", daemon=True)
        self._thread.start()

    @property
    def loaded(self) -> bool:
        return self._backend is not None

    def submit(self, task: Task, progress: ProgressFn = no_progress) -> Future[object]:
        future: Future[object] = Future()
        try:
            self._queue.put_nowait(_Job(task, future, progress))
        except queue.Full:
            raise ThrottlingError(
                f"Too many requests are waiting for {self.name} ({self._queue.maxsize} queued); "
                "retry after a moment or raise OUTCROP_QUEUE_SIZE."
            ) from None
        return future

    def warm(self) -> Future[object]:
        """Load the model now (in the worker thread) instead of on the first request."""
        future: Future[object] = Future()
        self._queue.put(_Job(None, future))
        return future

    def stop(self, timeout: float | None = None) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _loop(self) -> None:
        pending: deque[_Job | None] = deque()
        while (job := pending.popleft() if pending else self._queue.get()) is not None:
            if not job.future.set_running_or_notify_cancel():
                continue
            if self._batchable(job):
                self._run_batch([job, *self._drain_batch(pending)])
            else:
                self._run(job)
        if self._backend is not None:
            self._backend.close()

    def _batchable(self, job: _Job) -> bool:
        """Embedding tasks go through the model together when the loaded backend can batch them."""
        return isinstance(job.task, EmbedTask) and hasattr(self._backend, "run_batch")

    def _drain_batch(self, pending: deque[_Job | None]) -> list[_Job]:
        """Queued embedding jobs to run with the current one; anything else waits its turn in `pending`."""
        limit = int(getattr(self._backend, "max_batch", 1)) - 1
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
                pending.append(job)
        return batch

    def _run_batch(self, jobs: list[_Job]) -> None:
        if len(jobs) == 1:
            self._run(jobs[0])
            return
        try:
            results = self._backend.run_batch([job.task for job in jobs])  # type: ignore[union-attr]
        except Exception:  # one bad input must not fail its neighbours: retry each alone for its own answer
            log.info("batch of %d failed on %s; running each task alone", len(jobs), self.name)
            for job in jobs:
                self._run(job)
            return
        for job, result in zip(jobs, results, strict=True):
            job.future.set_result(result)

    def _run(self, job: _Job) -> None:
        try:
            backend = self._ensure_loaded()
            result = None if job.task is None else backend.run(job.task, job.progress)
            job.future.set_result(result)
        except OutcropError as exc:
            job.future.set_exception(exc)
        except Exception as exc:  # any backend failure is the model's error, reported to this caller only
            log.exception("model %s failed on %s", self.name, type(job.task).__name__ if job.task else "load")
            job.future.set_exception(self._model_error(exc))

    def _ensure_loaded(self) -> Backend:
        if self._backend is None:
            log.info("loading %s", self.name)
            self._backend = self._loader()
        return self._backend

    def _model_error(self, exc: Exception) -> ModelError:
        return ModelError(
            f"The model {self.name} returned an error: {type(exc).__name__}: {exc}",
            originalStatusCode=500,
            resourceName=self.name,
        )
