"""The residency manager: loads once under concurrency, one load at a time, a memory budget with LRU eviction of idle
models, never of one in use or pinned; unload and pin. Backends here are sized test doubles (tests/support)."""

from __future__ import annotations

import gc
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest

from outcrop.errors import ConflictError
from outcrop.runtime.devices import Placement
from outcrop.runtime.residency import Residency
from support.sized_double import Ledger

CPU = Placement("cpu", "float32")


def residency(budget: int, *names: str, size: int = 100, seconds: float = 0.0) -> tuple[Residency, Ledger]:
    manager, ledger = Residency(budget), Ledger()
    for name in names:
        manager.register(name, CPU, ledger.loader(name, size, seconds))
    return manager, ledger


def loaded(manager: Residency) -> list[str]:
    return sorted(info.key for info in manager.snapshot() if info.loaded)


def test_budget_for_one_keeps_one_model_and_evicts_the_idle_one():
    manager, ledger = residency(100, "a", "b", "c")
    for name in ("a", "b", "c"):
        with manager.use(name) as backend:
            assert backend.name == name  # type: ignore[attr-defined]
        assert loaded(manager) == [name]
    assert ledger.closed == ["a", "b"]
    assert manager.stats.evictions == 2
    assert manager.used("cpu") == 100


def test_least_recently_used_goes_first():
    manager, ledger = residency(200, "a", "b", "c")
    manager.load("a")
    manager.load("b")
    manager.load("a")  # a is now more recently used than b
    manager.load("c")
    assert loaded(manager) == ["a", "c"]
    assert ledger.closed == ["b"]


def test_a_model_in_use_is_never_evicted():
    manager, ledger = residency(100, "a", "b", "c")
    with manager.use("a"):
        manager.load("b")  # over budget: a is busy, so both stay
        assert loaded(manager) == ["a", "b"]
        manager.load("c")  # b is idle: it goes, a stays
        assert loaded(manager) == ["a", "c"]
        assert ledger.closed == ["b"]
    assert loaded(manager) == ["a"]  # once a is idle the budget is settled: c was used before a finished
    assert ledger.closed == ["b", "c"]


def test_a_queued_task_keeps_its_model():
    manager, _ = residency(100, "a", "b")
    manager.load("a")
    manager.reserve("a")  # what a worker does when a task for a enters its queue
    manager.load("b")
    assert loaded(manager) == ["a", "b"]
    manager.release("a")
    manager.load("b")
    manager.load("a")
    assert loaded(manager) == ["a"]


def test_pinned_model_stays_until_unpinned():
    manager, _ = residency(100, "a", "b")
    manager.load("a")
    manager.pin("a")
    manager.load("b")
    assert loaded(manager) == ["a", "b"]
    manager.pin("a", pinned=False)
    manager.load("b")
    manager.load("b")
    with manager.use("b"):
        pass
    manager.register("c", CPU, Ledger().loader("c", 100))
    manager.load("c")
    assert "a" not in loaded(manager)


def test_concurrent_first_uses_load_once():
    manager, ledger = residency(10**9, "a", seconds=0.2)
    with ThreadPoolExecutor(max_workers=8) as pool:
        names = list(pool.map(lambda _: manager.load("a").key, range(8)))
    assert names == ["a"] * 8
    assert ledger.loads == ["a"]


def test_loads_of_different_models_run_one_at_a_time():
    manager, ledger = residency(10**9, "a", "b", "c", seconds=0.1)
    threads = [threading.Thread(target=manager.load, args=(name,)) for name in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ledger.loads) == ["a", "b", "c"]
    assert ledger.overlap == 1


def test_evicted_backend_is_closed_and_freed():
    manager, ledger = residency(100, "a", "b")
    with manager.use("a") as backend:
        ref = weakref.ref(backend)
    del backend
    manager.load("b")
    gc.collect()
    assert ledger.closed == ["a"]
    assert ref() is None


def test_unload_refuses_a_model_in_use_and_frees_an_idle_one():
    manager, ledger = residency(10**9, "a")
    with manager.use("a"), pytest.raises(ConflictError, match="running or queued"):
        manager.unload("a")
    assert manager.unload("a") is True
    assert ledger.closed == ["a"]
    assert manager.unload("a") is False


def test_a_failed_load_leaves_nothing_resident_and_can_be_retried():
    manager = Residency(10**9)
    attempts: list[int] = []

    def flaky():  # type: ignore[no-untyped-def]
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("disk hiccup")
        return Ledger().loader("a", 10)()

    manager.register("a", CPU, flaky)
    with pytest.raises(RuntimeError, match="disk hiccup"):
        manager.load("a")
    assert loaded(manager) == []
    assert manager.info("a").users == 0
    assert manager.load("a").loaded
    assert manager.stats.load_failures == 1


def test_default_budget_comes_from_the_device():
    seen: list[str] = []
    manager = Residency(None, budget_for=lambda device: seen.append(device) or 150)
    ledger = Ledger()
    manager.register("a", CPU, ledger.loader("a", 100))
    manager.register("b", CPU, ledger.loader("b", 100))
    manager.load("a")
    manager.load("b")
    assert seen == ["cpu"]
    assert manager.budgets() == {"cpu": 150}
    assert loaded(manager) == ["b"]
