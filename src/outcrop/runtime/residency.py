"""Which models are loaded, on which device, and which go when memory runs short.

Every load in the process goes through one Residency, under one lock (`backends.base.HEAVY_IMPORT_LOCK`): loads
run one at a time, so a model requested by many callers at once loads once, and two families never import
transformers / diffusers from two threads at once (which fails with `ImportError: cannot import name ...`).

Each device has a memory budget. Before a load and again once its real size is known, idle models on that device
go, least recently used first, until the residents fit. A model with a running or queued task (`users`) or pinned
is never evicted; if those alone exceed the budget, they stay and the budget is exceeded (logged).
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from outcrop.backends.base import HEAVY_IMPORT_LOCK, Backend
from outcrop.errors import ConflictError
from outcrop.runtime.devices import Placement, default_budget, process_rss

log = logging.getLogger(__name__)

Loader = Callable[[], Backend]


@dataclass
class Resident:
    """One registered model: loaded (backend set) or not."""

    key: str
    placement: Placement
    loader: Loader
    backend: Backend | None = None
    bytes: int = 0
    users: int = 0
    pinned: bool = False
    last_used: float = 0.0


@dataclass(frozen=True)
class ResidentInfo:
    key: str
    device: str
    dtype: str
    loaded: bool
    bytes: int
    users: int
    pinned: bool


@dataclass
class ResidencyStats:
    """Totals since start, read by /metrics."""

    loads: int = 0
    load_seconds: float = 0.0
    evictions: int = 0
    load_failures: int = 0


class Residency:
    """Loads, tracks, pins and evicts models; thread-safe."""

    def __init__(self, budget: int | None = None, budget_for: Callable[[str], int] = default_budget) -> None:
        self._budget, self._budget_for = budget, budget_for
        self._budgets: dict[str, int] = {}
        self._entries: dict[str, Resident] = {}
        self._state = threading.Lock()
        self.stats = ResidencyStats()

    def register(self, key: str, placement: Placement, loader: Loader) -> None:
        with self._state:
            self._entries.setdefault(key, Resident(key, placement, loader))

    def reserve(self, key: str, count: int = 1) -> None:
        """A task for `key` is queued: it must not be evicted until `release`."""
        with self._state:
            self._entries[key].users += count

    def release(self, key: str, count: int = 1) -> None:
        with self._state:
            self._entries[key].users -= count

    @contextmanager
    def use(self, key: str) -> Iterator[Backend]:
        """The loaded backend for `key` (loading it if needed), kept resident while the block runs."""
        self.reserve(key)
        try:
            yield self._loaded(key)
        finally:
            with self._state:
                entry = self._entries[key]
                entry.users -= 1
                entry.last_used = time.monotonic()
            self._refresh_bytes(entry)
            self._settle(entry)

    def load(self, key: str) -> ResidentInfo:
        with self.use(key):
            pass
        return self.info(key)

    def unload(self, key: str) -> bool:
        """Drop `key` now (and unpin it); False if it was not loaded. Refused while it has tasks."""
        with HEAVY_IMPORT_LOCK, self._state:
            entry = self._entries.get(key)
            if entry is None or entry.backend is None:
                return False
            if entry.users:
                raise ConflictError(f"{key} has {entry.users} running or queued task(s); unload it when idle.")
            entry.pinned = False
            backend, entry.backend, entry.bytes = entry.backend, None, 0
        backend.close()
        del backend
        _free_memory(entry.placement.device)
        return True

    def pin(self, key: str, pinned: bool = True) -> None:
        """A pinned model is never evicted (it still counts against the budget)."""
        with self._state:
            self._entries[key].pinned = pinned

    def info(self, key: str) -> ResidentInfo:
        with self._state:
            return _info(self._entries[key])

    def known(self, key: str) -> bool:
        with self._state:
            return key in self._entries

    def snapshot(self) -> list[ResidentInfo]:
        with self._state:
            return [_info(entry) for entry in self._entries.values()]

    def budgets(self) -> dict[str, int]:
        """Budget per device that has had a model loaded."""
        with self._state:
            return dict(self._budgets)

    def used(self, device: str) -> int:
        with self._state:
            return self._used(device)

    def close(self) -> None:
        with HEAVY_IMPORT_LOCK, self._state:
            loaded = [(e.backend, e.placement.device) for e in self._entries.values() if e.backend is not None]
            for entry in self._entries.values():
                entry.backend, entry.bytes = None, 0
        for backend, _device in loaded:
            backend.close()
        devices = {device for _backend, device in loaded}
        del loaded
        for device in devices:
            _free_memory(device)

    def _loaded(self, key: str) -> Backend:
        with self._state:
            backend = self._entries[key].backend
        if backend is not None:
            return backend
        with HEAVY_IMPORT_LOCK:
            with self._state:
                entry = self._entries[key]
                if entry.backend is not None:  # another caller loaded it while this one waited
                    return entry.backend
            self._make_room(entry, incoming=max(entry.bytes, 1))
            backend = self._load(entry)
            self._make_room(entry, incoming=0)
            return backend

    def _load(self, entry: Resident) -> Backend:
        log.info("loading %s on %s (%s)", entry.key, entry.placement.device, entry.placement.dtype)
        before, started = process_rss(), time.perf_counter()
        try:
            backend = entry.loader()
        except Exception:
            self.stats.load_failures += 1
            raise
        seconds = time.perf_counter() - started
        size = measure(backend, before)
        with self._state:
            entry.backend, entry.bytes, entry.last_used = backend, size, time.monotonic()
            self.stats.loads += 1
            self.stats.load_seconds += seconds
        log.info("loaded %s in %.1f s (%d MB)", entry.key, seconds, size // 10**6)
        return backend

    def _settle(self, entry: Resident) -> None:
        """After a task: models kept over budget because they were busy go now that they may be idle. Skipped
        while a load runs (it settles the budget itself), so a worker never waits behind another model's load."""
        if HEAVY_IMPORT_LOCK.acquire(blocking=False):
            try:
                self._make_room(entry, incoming=0, warn=False)
            finally:
                HEAVY_IMPORT_LOCK.release()

    def _make_room(self, entry: Resident, incoming: int, *, warn: bool = True) -> None:
        """Evict idle models on entry's device, least recently used first, until `incoming` more bytes fit."""
        device = entry.placement.device
        budget = self._device_budget(device)
        while True:
            with self._state:
                used = self._used(device)
                victim = self._victim(device, exclude=entry.key) if used + incoming > budget else None
                if victim is None:
                    break
                backend, victim.backend, victim.bytes = victim.backend, None, 0
                self.stats.evictions += 1
            log.info("evicting %s from %s to make room for %s", victim.key, device, entry.key)
            if backend is not None:
                backend.close()
            del backend  # the last reference: what close() left is freed by the collection below
            _free_memory(device)
        if warn and used + incoming > budget:
            log.warning("%s: models in use or pinned hold %d bytes, over its %d-byte budget; they stay while busy",
                        device, used + incoming, budget)  # fmt: skip

    def _victim(self, device: str, exclude: str) -> Resident | None:
        idle = [
            e
            for e in self._entries.values()
            if e.backend is not None and e.placement.device == device and e.key != exclude
            and not e.users and not e.pinned
        ]  # fmt: skip
        return min(idle, key=lambda e: e.last_used, default=None)

    def _used(self, device: str) -> int:
        return sum(e.bytes for e in self._entries.values() if e.backend is not None and e.placement.device == device)

    def _device_budget(self, device: str) -> int:
        with self._state:
            if device not in self._budgets:
                self._budgets[device] = self._budget if self._budget is not None else self._budget_for(device)
            return self._budgets[device]

    def _refresh_bytes(self, entry: Resident) -> None:
        """Backends that grow on use (a ControlNet loaded on first request) report their new size."""
        backend = entry.backend
        sizer = getattr(backend, "memory_bytes", None)
        if sizer is not None:
            size = int(sizer())
            with self._state:
                if entry.backend is backend:
                    entry.bytes = size


def measure(backend: Backend, rss_before: int) -> int:
    """The backend's own count (`memory_bytes()`: parameter and buffer bytes, ONNX file sizes) when it has one;
    else the growth of this process's RSS across the load, which loads one at a time make attributable, though it
    misses memory on an accelerator and counts allocator slack; 0 when neither is available."""
    sizer = getattr(backend, "memory_bytes", None)
    if sizer is not None:
        return int(sizer())
    return max(0, process_rss() - rss_before) if rss_before else 0


def _free_memory(device: str) -> None:
    gc.collect()
    torch = sys.modules.get("torch")  # only a device that was used has torch imported
    if torch is not None and device.startswith("cuda"):
        torch.cuda.empty_cache()


def _info(entry: Resident) -> ResidentInfo:
    return ResidentInfo(entry.key, entry.placement.device, entry.placement.dtype, entry.backend is not None,
                        entry.bytes, entry.users, entry.pinned)  # fmt: skip
