"""Route each task to the worker of the model that serves it, creating workers on first use."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import Future

from outcrop.backends.base import Backend, LoadSpec, ProgressFn, no_progress
from outcrop.backends.registry import known, load_backend
from outcrop.catalog import Binding, Catalog, ModelEntry
from outcrop.errors import AccessDeniedError, ModelTimeoutError
from outcrop.runtime.worker import ModelWorker
from outcrop.tasks import Task, TaskKind


class Executor:
    """Owns every loaded model. Thread-safe; `run` is awaited by request handlers."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        queue_size: int = 16,
        timeout_s: float = 600.0,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        self.catalog = catalog
        self._queue_size = queue_size
        self._timeout_s = timeout_s
        self._device = device
        self._threads = threads
        self._workers: dict[str, ModelWorker] = {}
        self._lock = threading.Lock()

    async def run(self, entry: ModelEntry, task: Task, progress: ProgressFn = no_progress) -> object:
        """Run `task` on the model bound to (entry, task.kind); waits while the model is busy."""
        worker = self.worker_for(entry, task)
        future = worker.submit(task, progress)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self._timeout_s)
        except TimeoutError:
            future.cancel()
            raise ModelTimeoutError(
                f"{entry.model_id} did not finish within {self._timeout_s:.0f} s; "
                "try a smaller request or raise OUTCROP_REQUEST_TIMEOUT_S."
            ) from None

    def preload(self, entry: ModelEntry) -> list[Future[object]]:
        """Start loading every model bound to `entry`; the futures complete when each is loaded."""
        return [self._worker(entry, self.catalog.binding(entry, kind)).warm() for kind in entry.bindings]

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
                worker = ModelWorker(key, lambda: self._load(binding), self._queue_size)
                self._workers[key] = worker
        return worker

    def workers(self) -> dict[str, ModelWorker]:
        with self._lock:
            return dict(self._workers)

    def shutdown(self) -> None:
        for worker in self.workers().values():
            worker.stop(timeout=30)

    def _load(self, binding: Binding) -> Backend:
        spec = LoadSpec(
            weights=binding.weights,
            weights_dir=self.catalog.weights_dir(binding.weights),
            options=binding.options,
            device=self._device,
            threads=self._threads,
        )
        return load_backend(binding.backend, spec)


def _worker_key(binding: Binding) -> str:
    """Bindings with the same backend, weights and options share one loaded model."""
    options = json.dumps(dict(binding.options), sort_keys=True) if binding.options else ""
    return f"{binding.backend}:{binding.weights}" + (f":{options}" if options else "")
