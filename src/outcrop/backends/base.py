"""The seam between the runtime and a model family: load weights once, run tasks one at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from outcrop.tasks import Task, TaskKind

ProgressFn = Callable[[float], None]

# Two threads importing transformers / diffusers for the first time at once can each find the other's module half
# initialized (`ImportError: cannot import name 'PreTrainedTokenizerFast' from 'transformers'`). The runtime holds
# this lock around every load; a backend that loads a component lazily inside `run` holds it too.
HEAVY_IMPORT_LOCK = threading.RLock()


def no_progress(fraction: float) -> None:
    """A ProgressFn for callers that do not track progress."""


class TextStream:
    """A ProgressFn that also receives generated text as it appears (ConverseStream), and can ask a text model to
    stop (`cancelled`: the client went away). Called from the model's worker thread."""

    def __init__(self, on_text: Callable[[str], None], progress: ProgressFn = no_progress) -> None:
        self._on_text = on_text
        self._progress = progress
        self.cancelled = False

    def __call__(self, fraction: float) -> None:
        self._progress(fraction)

    def text(self, delta: str) -> None:
        self._on_text(delta)


@dataclass(frozen=True)
class LoadSpec:
    """What a backend needs to load: where its weights are installed, the catalog's options for it, and where to run.

    `weights_dir` is None for weights built in code (the `tiny` profile's seeded models). `device` is concrete
    (`cpu`, `cuda:0`, `mps`, `xpu:0`) and `dtype` one of float32, float16, bfloat16: the runtime resolved both from
    settings and the binding's options, and the backend uses them as given, never choosing its own.
    """

    weights: str
    weights_dir: Path | None
    options: Mapping[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    dtype: str = "float32"
    threads: int | None = None


class Backend(Protocol):
    """A loaded model. The runtime guarantees `run` is never entered by two threads at once.

    A backend may also define `memory_bytes() -> int` (the bytes its weights hold; see `memory.py`), which the
    runtime uses for its memory budget, and `run_batch(tasks)` with `max_batch` for embeddings.
    """

    kinds: frozenset[TaskKind]

    def run(self, task: Task, progress: ProgressFn) -> object: ...

    def close(self) -> None: ...


class BackendFactory(Protocol):
    def __call__(self, spec: LoadSpec) -> Backend: ...


class TaskCancelled(Exception):  # noqa: N818  # a signal, not an error: nobody is waiting for the answer any more
    """Raised inside a backend's step callback once its caller has gone; the worker drops the task quietly."""


class CancelGuard:
    """A ProgressFn that stops the model at its next step once `cancel()` is called (the client disconnected or the
    request timed out). Backends report progress per denoising step or token, so work stops within one step."""

    def __init__(self, inner: ProgressFn = no_progress) -> None:
        self._inner = inner
        self._cancelled = threading.Event()

    def __call__(self, fraction: float) -> None:
        if self._cancelled.is_set():
            raise TaskCancelled
        self._inner(fraction)

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()
