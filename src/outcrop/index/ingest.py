"""Incremental ingestion of one data source: embed what was added or changed (by content hash), drop what the
source no longer has. Only the source's own documents are compared and deleted.

One document that cannot be read, parsed or embedded is recorded as failed and the rest go on; a changed document
that fails keeps its previous version. A knowledge base records the vector space it was built in (model weights +
dimension); with `rebuild`, every document is embedded again and one that fails is removed, so vectors from two
spaces never mix.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from outcrop.errors import OutcropError
from outcrop.index.base import Record, VectorIndex
from outcrop.index.chunking import Chunking
from outcrop.index.documents import extract_text
from outcrop.index.registry import DataSource, Item, KnowledgeBase, Registry
from outcrop.index.sources import ItemKind, Scan, SourceDocument
from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedResult
from outcrop.tasks.imaging import ImageLimits, open_image

log = logging.getLogger(__name__)
EmbedFn = Callable[[EmbedTask], Awaitable[EmbedResult]]
ProgressFn = Callable[[dict[str, Any]], None]
IMAGE_LIMITS = ImageLimits(max_bytes=25_000_000, max_side=8192, max_pixels=8192 * 8192,
                           formats=frozenset({"PNG", "JPEG", "WEBP", "GIF"}))  # fmt: skip
DOCUMENTS_AT_ONCE = 8  # documents read and parsed concurrently; embedding calls are bounded by the caller's EmbedFn
MAX_FAILURE_REASONS = 1000


@dataclass
class IngestReport:
    total: int = 0
    done: int = 0
    scanned: int = 0
    metadata_scanned: int = 0
    added: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    items: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, uri: str, reason: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_FAILURE_REASONS:
            self.failures.append(f"{uri}: {reason}")

    def counts(self) -> dict[str, Any]:
        return {**{k: v for k, v in vars(self).items() if isinstance(v, int)}, "failures": list(self.failures)}


@dataclass(frozen=True)
class IngestContext:
    kb: KnowledgeBase
    source: DataSource
    chunking: Chunking
    registry: Registry
    index: VectorIndex
    embed: EmbedFn
    progress: ProgressFn


def document_hash(raw: bytes, metadata: dict[str, Any], kind: ItemKind, chunking: dict[str, Any]) -> str:
    """Content, metadata and (for text, when set) the chunking: a change to any of them re-embeds."""
    digest = hashlib.sha256(raw)
    digest.update(json.dumps(metadata, sort_keys=True, default=str).encode())
    if kind is ItemKind.TEXT and chunking:
        digest.update(json.dumps(chunking, sort_keys=True).encode())
    return digest.hexdigest()


def item_id(source_id: str, uri: str, chunk: int) -> str:
    return hashlib.sha256(f"{source_id}|{uri}#{chunk}".encode()).hexdigest()[:24]


async def ingest(ctx: IngestContext, scan: Scan, rebuild: bool) -> IngestReport:
    """Bring the data source's documents in the KB in line with `scan`. With `rebuild`, embed everything again."""
    report = IngestReport(total=scan.scanned, scanned=scan.scanned, metadata_scanned=scan.metadata_files)
    known = await asyncio.to_thread(ctx.registry.document_hashes, ctx.kb.id, ctx.source.id)
    present = {d.uri for d in scan.documents} | {s.uri for s in scan.skipped}
    await asyncio.to_thread(_delete_missing, ctx, sorted(set(known) - present), report)
    for skipped in scan.skipped:
        report.fail(skipped.uri, skipped.reason)
        report.done += 1
    run = _Run(known, rebuild, report, asyncio.Semaphore(DOCUMENTS_AT_ONCE))
    await asyncio.gather(*(_guarded(ctx, document, run) for document in scan.documents))
    report.items = await asyncio.to_thread(ctx.registry.count_items, ctx.kb.id, ctx.source.id)
    ctx.progress(report.counts())
    return report


def _delete_missing(ctx: IngestContext, uris: list[str], report: IngestReport) -> None:
    for uri in uris:
        remove_document(ctx, uri)
        report.deleted += 1


def remove_document(ctx: IngestContext, uri: str) -> None:
    ctx.index.delete(ctx.registry.item_ids(ctx.kb.id, ctx.source.id, uri))
    ctx.registry.remove_document(ctx.kb.id, ctx.source.id, uri)


@dataclass(frozen=True)
class _Run:
    known: dict[str, str]  # uri -> content hash of what the source held before this run
    rebuild: bool
    report: IngestReport
    gate: asyncio.Semaphore


async def _guarded(ctx: IngestContext, document: SourceDocument, run: _Run) -> None:
    uri, report = document.uri, run.report
    async with run.gate:
        try:
            await _one(ctx, document, None if run.rebuild else run.known.get(uri), uri in run.known, report)
        except Exception as exc:  # one bad document is recorded, never fatal to the rest of the run
            if not isinstance(exc, OutcropError | OSError):
                log.exception("ingesting %s failed", uri)
            report.fail(uri, _reason(exc))
            if run.rebuild and uri in run.known:  # its old vectors are from the previous space: retry next time
                await asyncio.to_thread(remove_document, ctx, uri)
        report.done += 1
        ctx.progress(report.counts())


async def _one(ctx: IngestContext, document: SourceDocument, old_hash: str | None, seen: bool,
               report: IngestReport) -> None:  # fmt: skip
    raw, metadata = await asyncio.to_thread(lambda: (document.read(), document.read_metadata()))
    content_hash = document_hash(raw, metadata, document.kind, ctx.source.chunking)
    if content_hash == old_hash:
        report.unchanged += 1
        return
    await _embed_document(ctx, document, raw, metadata, content_hash)
    report.added += not seen
    report.changed += seen


def _reason(exc: Exception) -> str:
    return getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"


async def _embed_document(ctx: IngestContext, document: SourceDocument, raw: bytes, metadata: dict[str, Any],
                          content_hash: str) -> None:  # fmt: skip
    tasks, items = await asyncio.to_thread(_tasks_for, ctx, document, raw, metadata)
    vectors = await asyncio.gather(*(ctx.embed(task) for task in tasks))
    records = [Record(i.id, v.vector, _index_metadata(i)) for i, v in zip(items, vectors, strict=True)]
    await asyncio.to_thread(_store_document, ctx, document, content_hash, items, records)


def _store_document(ctx: IngestContext, document: SourceDocument, content_hash: str, items: list[Item],
                    records: list[Record]) -> None:  # fmt: skip
    """Replace the document's vectors and registry rows (SQLite / PostgreSQL and the index: in a thread)."""
    ctx.index.delete(ctx.registry.item_ids(ctx.kb.id, ctx.source.id, document.uri))
    ctx.index.upsert(records)
    ctx.registry.put_document(ctx.kb.id, ctx.source.id, document.uri, kind=document.kind, content_hash=content_hash,
                              items=items)  # fmt: skip


def _tasks_for(ctx: IngestContext, document: SourceDocument, raw: bytes,
               metadata: dict[str, Any]) -> tuple[list[EmbedTask], list[Item]]:  # fmt: skip
    source, dimension = ctx.source.id, ctx.kb.dimension
    if document.kind is ItemKind.IMAGE:
        image = open_image(raw, document.uri, IMAGE_LIMITS).convert("RGB")
        item = Item(item_id(source, document.uri, 0), document.uri, 0, ItemKind.IMAGE, None, metadata, source)
        return [EmbedTask(text=None, image=image, dimension=dimension)], [item]
    chunks = ctx.chunking.split(extract_text(raw, document.uri))
    items = [Item(item_id(source, document.uri, n), document.uri, n, ItemKind.TEXT, c.text, metadata, source)
             for n, c in enumerate(chunks)]  # fmt: skip
    return [EmbedTask(text=c.embed, image=None, dimension=dimension) for c in chunks], items


def _index_metadata(item: Item) -> dict[str, object]:
    """What filters can see: the user's attributes plus Bedrock's source URI and data source id."""
    return {**item.metadata, "x-amz-bedrock-kb-source-uri": item.uri, "x-amz-bedrock-kb-data-source-id": item.source_id}
