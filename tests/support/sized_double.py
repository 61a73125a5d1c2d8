"""A deterministic test double of a backend (named as one) that declares its size and records its life.

Used to test the residency manager's budget, eviction order and load-once guarantees without loading a model.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from outcrop.backends.base import ProgressFn
from outcrop.tasks import Task, TaskKind


@dataclass
class Ledger:
    """What the doubles built by one factory did: loads per name, closes, and how many loads overlapped."""

    loads: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    overlap: int = 0
    _active: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def loader(self, name: str, size: int, seconds: float = 0.0):  # type: ignore[no-untyped-def]
        def load() -> SizedDouble:
            with self._lock:
                self._active += 1
                self.overlap = max(self.overlap, self._active)
            time.sleep(seconds)
            with self._lock:
                self._active -= 1
                self.loads.append(name)
            return SizedDouble(name, size, self)

        return load


class SizedDouble:
    kinds = frozenset({TaskKind.CONVERSE})

    def __init__(self, name: str, size: int, ledger: Ledger) -> None:
        self.name, self.size, self.ledger = name, size, ledger

    def run(self, task: Task, progress: ProgressFn) -> object:
        return self.name

    def memory_bytes(self) -> int:
        return self.size

    def close(self) -> None:
        self.ledger.closed.append(self.name)
