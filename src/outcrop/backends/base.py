"""The seam between the runtime and a model family: load weights once, run tasks one at a time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from outcrop.tasks import Task, TaskKind

ProgressFn = Callable[[float], None]


def no_progress(fraction: float) -> None:
    """A ProgressFn for callers that do not track progress."""


@dataclass(frozen=True)
class LoadSpec:
    """What a backend needs to load: where its weights are installed and the catalog's options for it.

    `weights_dir` is None for weights built in code (the `tiny` profile's seeded models).
    """

    weights: str
    weights_dir: Path | None
    options: Mapping[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    threads: int | None = None


class Backend(Protocol):
    """A loaded model. The runtime guarantees `run` is never entered by two threads at once."""

    kinds: frozenset[TaskKind]

    def run(self, task: Task, progress: ProgressFn) -> object: ...

    def close(self) -> None: ...


class BackendFactory(Protocol):
    def __call__(self, spec: LoadSpec) -> Backend: ...
