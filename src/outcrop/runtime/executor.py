"""Route each task to the worker of the model that serves it, creating workers on first use."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from outcrop.backends.base import Backend, CancelGuard, LoadSpec, ProgressFn, TextStream, no_progress
from outcrop.backends.registry import known, load_backend
from outcrop.catalog import Binding, Catalog, ModelEntry
from outcrop.errors import AccessDeniedError, ModelTimeoutError
from outcrop.runtime.devices import Devices, Placement
from outcrop.runtime.residency import Residency, ResidentInfo
from outcrop.runtime.worker import ModelWorker
from outcrop.tasks import Task, TaskKind

# (model id, task kind, seconds): called after each task, e.g. to record latency for /metrics.
TaskObserver = Callable[[str, str, float], None]


def _ignore(model_id: str, kind: str, seconds: float) -> None:
    """The default TaskObserver."""


class Executor:
    """Owns every loaded model. Thread-safe; `run` is awaited by request handlers."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        queue_size: int = 16,
        timeout_s: float = 600.0,
        devices: Devices | None = None,
        residency: Residency | None = None,
        threads: int | None = None,
    ) -> None:
        self.catalog = catalog
        self.devices = devices or Devices("cpu", "float32")
        self.residency = residency or Residency()
        self.observe: TaskObserver = _ignore
        self._queue_size = queue_size
        self._timeout_s = timeout_s
        self._threads = threads
        self._workers: dict[str, ModelWorker] = {}
        self._lock = threading.Lock()

    async def run(self, entry: ModelEntry, task: Task, progress: ProgressFn = no_progress) -> object:
        """Run `task` on the model bound to (entry, task.kind); waits while the model is busy.

        If the awaiting coroutine is cancelled (the client went away) or the request times out, a queued task is
        dropped and a running one stops at its next step.
        """
        worker = self.worker_for(entry, task)
        guard = progress if isinstance(progress, TextStream) else CancelGuard(progress)
        started = time.perf_counter()
        future = worker.submit(task, guard)
        try:
            result = await asyncio.wait_for(asyncio.wrap_future(future), self._timeout_s)
        except TimeoutError:
            _stop(future, guard)
            raise ModelTimeoutError(
                f"{entry.model_id} did not finish within {self._timeout_s:.0f} s; "
                "try a smaller request or raise OUTCROP_REQUEST_TIMEOUT_S."
            ) from None
        except asyncio.CancelledError:
            _stop(future, guard)
            raise
        self.observe(entry.model_id, str(task.kind), time.perf_counter() - started)
        return result

    def preload(self, entry: ModelEntry) -> list[Future[object]]:
        """Start loading every model bound to `entry`; the futures complete when each is loaded."""
        return [self._worker(entry, self.catalog.binding(entry, kind)).warm() for kind in entry.bindings]

    def unload(self, entry: ModelEntry) -> list[str]:
        """Unload every model bound to `entry`; the keys that were loaded."""
        keys = {_worker_key(binding) for binding in self._serving(entry)}
        return sorted(key for key in keys if self.residency.known(key) and self.residency.unload(key))

    def pin(self, entry: ModelEntry, pinned: bool = True) -> list[Future[object]]:
        """Keep `entry`'s models resident (loading them now); pinned=False lets them be evicted again."""
        futures = self.preload(entry) if pinned else []
        for binding in self._serving(entry):
            self._worker(entry, binding)
            self.residency.pin(_worker_key(binding), pinned)
        return futures

    def placement(self, binding: Binding) -> Placement:
        """Where `binding` runs, as resolved so far (never imports torch)."""
        return self.devices.peek(binding.options)

    def resident(self, binding: Binding) -> ResidentInfo | None:
        key = _worker_key(binding)
        return self.residency.info(key) if self.residency.known(key) else None

    def _serving(self, entry: ModelEntry) -> list[Binding]:
        return [self.catalog.binding(entry, kind) for kind in entry.bindings]

    def binding_key(self, entry: ModelEntry, kind: TaskKind) -> str:
        """A stable name for the weights and options serving (entry, kind)."""
        return _worker_key(self.catalog.binding(entry, kind))

    def worker_for(self, entry: ModelEntry, task: Task) -> ModelWorker:
        return self._worker(entry, self.catalog.binding(entry, task.kind))

    def _worker(self, entry: ModelEntry, binding: Binding) -> ModelWorker:
        if not known(binding.backend):
            raise AccessDeniedError(
                f"{entry.model_id} is bound to backend '{binding.backend}', "
                "which this version of Outcrop does not have."
            )
        self.catalog.require_installed(entry, binding)
        key = _worker_key(binding)
        with self._lock:
            worker = self._workers.get(key)
            if worker is None:
                placement = self.devices.placement(binding.options)
                self.residency.register(key, placement, lambda: self._load(binding, placement))
                worker = ModelWorker(key, self.residency, self._queue_size)
                self._workers[key] = worker
        return worker

    def workers(self) -> dict[str, ModelWorker]:
        with self._lock:
            return dict(self._workers)

    def shutdown(self) -> None:
        for worker in self.workers().values():
            worker.stop(timeout=30)
        self.residency.close()

    def _load(self, binding: Binding, placement: Placement) -> Backend:
        spec = LoadSpec(
            weights=binding.weights,
            weights_dir=self.catalog.weights_dir(binding.weights),
            options=binding.options,
            device=placement.device,
            dtype=placement.dtype,
            # Always explicit: torch keeps a thread count per OS thread, and a worker that inherited whatever another
            # load had set would sum in another order and differ from its twin in the last bit.
            threads=self._threads or os.cpu_count() or 1,
        )
        return load_backend(binding.backend, spec)


def _worker_key(binding: Binding) -> str:
    """Bindings with the same backend, weights and options share one loaded model."""
    options = json.dumps(dict(binding.options), sort_keys=True) if binding.options else ""
    return f"{binding.backend}:{binding.weights}" + (f":{options}" if options else "")


def _stop(future: Future[object], guard: ProgressFn) -> None:
    """Drop a queued task; make a running one stop at its next step."""
    future.cancel()
    if isinstance(guard, TextStream):
        guard.cancelled = True
    elif isinstance(guard, CancelGuard):
        guard.cancel()
