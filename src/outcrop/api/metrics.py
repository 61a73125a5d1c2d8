"""Prometheus `/metrics`: request latency by model and task (observed as tasks finish), and, read at each scrape,
queue depth per model, model loads, load seconds, evictions, resident bytes and budget per device, and async jobs
per status (one GROUP BY on the job store, so a scrape runs in a thread, off the event loop).

Each app has its own CollectorRegistry, so several apps in one process (as in tests) keep separate numbers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from outcrop.jobs import JobStore
from outcrop.runtime.executor import Executor

LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class RuntimeCollector(Collector):
    """Reads the executor's queues and the residency manager's state when scraped."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor

    def collect(self) -> Iterator[Metric]:
        residency = self._executor.residency
        stats = residency.stats
        yield CounterMetricFamily("outcrop_model_loads", "Models loaded since start", value=stats.loads)
        yield CounterMetricFamily("outcrop_model_load_failures", "Model loads that failed", value=stats.load_failures)
        yield CounterMetricFamily(
            "outcrop_model_load_seconds", "Seconds spent loading models", value=stats.load_seconds
        )
        yield CounterMetricFamily("outcrop_model_evictions", "Idle models evicted for memory", value=stats.evictions)
        yield self._per_device("outcrop_model_resident_bytes", "Bytes of loaded models", residency.used)
        budgets = residency.budgets()
        yield self._per_device("outcrop_model_memory_budget_bytes", "Memory budget", lambda device: budgets[device])
        queue = GaugeMetricFamily("outcrop_queue_depth", "Tasks waiting per model", labels=["model"])
        for name, worker in sorted(self._executor.workers().items()):
            queue.add_metric([name], worker.queue_depth)
        yield queue

    def _per_device(self, name: str, documentation: str, value: object) -> GaugeMetricFamily:
        gauge = GaugeMetricFamily(name, documentation, labels=["device"])
        for device in sorted(self._executor.residency.budgets()):
            gauge.add_metric([device], value(device))  # type: ignore[operator]
        return gauge


class JobsCollector(Collector):
    """Jobs per status, counted by the job store when scraped (in scale-out: every worker's jobs)."""

    def __init__(self, store: JobStore) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("outcrop_jobs", "Async jobs per status", labels=["status"])
        for status, count in self._store.counts().items():
            gauge.add_metric([str(status)], count)
        yield gauge


class Metrics:
    """The app's registry: latency recorded through the executor's task observer, the rest collected on scrape."""

    def __init__(self, executor: Executor, jobs: JobStore | None = None) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "outcrop_task_seconds", "Seconds from submit to result, per model and task kind",
            ["model", "task"], registry=self.registry, buckets=LATENCY_BUCKETS,
        )  # fmt: skip
        self.registry.register(RuntimeCollector(executor))
        if jobs is not None:
            self.registry.register(JobsCollector(jobs))
        executor.observe = self.observe

    def observe(self, model_id: str, kind: str, seconds: float) -> None:
        self.latency.labels(model_id, kind).observe(seconds)

    async def endpoint(self, request: Request) -> Response:
        body = await asyncio.to_thread(generate_latest, self.registry)  # the job count is a database query
        return Response(body, media_type=CONTENT_TYPE_LATEST)
