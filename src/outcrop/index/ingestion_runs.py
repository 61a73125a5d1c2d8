"""Ingestion runs in the background: one at a time per knowledge base, fed to the model at the rate it takes,
recorded with Bedrock's statistics, resumed under the same id after a stop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from outcrop.errors import (
    ConflictError,
    ModelNotReadyError,
    ModelTimeoutError,
    OutcropError,
    ServiceUnavailableError,
    ThrottlingError,
)
from outcrop.index.chunking import parse_chunking
from outcrop.index.ingest import IngestContext, IngestReport, ingest, remove_document
from outcrop.index.registry import DataSource, Ingestion, KnowledgeBase, new_id
from outcrop.index.sources import Scan, scan
from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedResult

if TYPE_CHECKING:
    from outcrop.index.knowledge_bases import KnowledgeBases

log = logging.getLogger(__name__)
ModelEmbed = Callable[[str, EmbedTask], Awaitable[EmbedResult]]
TRANSIENT = (ThrottlingError, ModelNotReadyError, ModelTimeoutError, ServiceUnavailableError)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    first_delay_s: float = 0.1
    max_delay_s: float = 5.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay_s, self.first_delay_s * 2**attempt))


class Feed:
    """Embedding calls of background ingestion: at most `in_flight` at once, so interactive requests keep the rest
    of the model's queue; a transient refusal (queue full, model loading, timeout) waits and is retried."""

    def __init__(self, embed: ModelEmbed, in_flight: int, retry: RetryPolicy | None = None) -> None:
        self._embed = embed
        self._gate = asyncio.Semaphore(max(1, in_flight))
        self._retry = retry or RetryPolicy()

    async def __call__(self, model_id: str, task: EmbedTask) -> EmbedResult:
        async with self._gate:
            for attempt in range(self._retry.attempts - 1):
                try:
                    return await self._embed(model_id, task)
                except TRANSIENT as exc:
                    log.debug("embedding for ingestion refused (%s); retrying", exc.code)
                    await asyncio.sleep(self._retry.delay(attempt))
            return await self._embed(model_id, task)


class Ingestions:
    def __init__(self, kbs: KnowledgeBases, feed: Feed) -> None:
        self._kbs = kbs
        self._feed = feed
        self._busy: set[str] = set()  # knowledge bases with a run starting or running
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, kb: KnowledgeBase, source: DataSource) -> Ingestion:
        """Scan now (a bad source fails at once), embed in the background; poll `registry.ingestion(run.id)`."""
        self._claim(kb)
        try:
            found = await self._scan(source)
        except BaseException:
            self._busy.discard(kb.id)
            raise
        run = Ingestion(new_id(10), kb.id, source.source, "IN_PROGRESS", {"total": found.scanned}, None, time.time(),
                        source_id=source.id)  # fmt: skip
        await self._launch(kb, source, run, found)
        return run

    def running(self, kb_id: str) -> bool:
        return kb_id in self._busy

    def _claim(self, kb: KnowledgeBase) -> None:
        if kb.id in self._busy:
            raise ConflictError(
                f"An ingestion job is already running on knowledge base {kb.id}; wait for it to finish "
                "(poll its status) and start this one again."
            )
        self._busy.add(kb.id)

    async def resume_interrupted(self) -> list[Ingestion]:
        """Start again, under the same ids, the runs a stopped server left IN_PROGRESS (await it on startup, in the
        serving event loop). Ingestion is incremental, so what was embedded before the stop is found unchanged."""
        resumed = []
        for run in await asyncio.to_thread(self._kbs.registry.interrupted):
            try:
                kb, source = await asyncio.to_thread(self._checked_run, run)
                found = await self._scan(source)
                self._claim(kb)
            except OutcropError as error:
                await self._finish(run, "FAILED", f"could not resume after a restart: {error.message}")
                continue
            run.report = {"total": found.scanned}
            await self._launch(kb, source, run, found)
            resumed.append(run)
        return resumed

    async def _scan(self, source: DataSource) -> Scan:
        return await asyncio.to_thread(scan, source.source, self._kbs.s3_client, self._kbs.boundaries.allows_local)

    def _checked_run(self, run: Ingestion) -> tuple[KnowledgeBase, DataSource]:
        """The knowledge base and source of an interrupted run, if both still exist and the source is allowed."""
        kb = self._kbs.get(run.kb_id)
        source = self._kbs.source(kb.id, run.source_id)
        self._kbs.checked_location(source.source)
        return kb, source

    async def _launch(self, kb: KnowledgeBase, source: DataSource, run: Ingestion, found: Scan) -> None:
        await asyncio.to_thread(self._kbs.registry.save_ingestion, run)
        task = asyncio.get_running_loop().create_task(self._run(kb, source, run, found))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._busy.discard(kb.id))

    async def _run(self, kb: KnowledgeBase, source: DataSource, run: Ingestion, found: Scan) -> None:
        try:
            report = await self._ingest(kb, source, run, found)
            run.report = report.counts()
            await self._finish(run, "COMPLETE", None)
        except Exception as exc:  # the run records why it failed; the server goes on
            log.exception("ingestion %s failed", run.id)
            await self._finish(run, "FAILED", getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")

    async def _finish(self, run: Ingestion, status: str, error: str | None) -> None:
        run.status, run.error, run.ended_at = status, error, time.time()
        await asyncio.to_thread(self._kbs.registry.save_ingestion, run)

    async def _ingest(self, kb: KnowledgeBase, source: DataSource, run: Ingestion, found: Scan) -> IngestReport:
        space = self._kbs.space_of(kb)
        rebuild = kb.space is not None and kb.space != space
        await asyncio.to_thread(self._kbs.registry.set_space, kb.id, space)

        def progress(counts: dict[str, object]) -> None:
            run.report = counts

        report = await ingest(await asyncio.to_thread(self._context, kb, source, progress), found, rebuild)
        if rebuild:  # the other sources' vectors are in the old space too: bring them over in this run
            log.info("KB %s: model space changed (%s -> %s); re-embedding every source", kb.id, kb.space, space)
            for other in await asyncio.to_thread(self._kbs.registry.sources, kb.id):
                if other.id != source.id:
                    await self._rebuild_other(kb, other, report)
        return report

    async def _rebuild_other(self, kb: KnowledgeBase, source: DataSource, report: IngestReport) -> None:
        ctx = await asyncio.to_thread(self._context, kb, source, lambda counts: None)
        try:
            found = await self._scan(source)
        except OutcropError as error:  # unreachable now: drop its old-space vectors, a later ingestion adds them
            await asyncio.to_thread(self._drop_all, ctx)
            report.fail(source.source, f"data source {source.id} could not be re-embedded: {error.message}")
            return
        other = await ingest(ctx, found, rebuild=True)
        report.failed += other.failed
        report.failures.extend(other.failures)

    def _drop_all(self, ctx: IngestContext) -> None:
        for uri in self._kbs.registry.document_hashes(ctx.kb.id, ctx.source.id):
            remove_document(ctx, uri)

    def _context(self, kb: KnowledgeBase, source: DataSource, progress: Callable[[dict[str, object]], None]
                 ) -> IngestContext:  # fmt: skip
        async def embed(task: EmbedTask) -> EmbedResult:
            return await self._feed(kb.model_id, task)

        chunking = parse_chunking(source.chunking).fit(self._kbs.max_text_tokens(kb))
        return IngestContext(kb, source, chunking, self._kbs.registry, self._kbs.index(kb), embed, progress)
