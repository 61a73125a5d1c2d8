"""Incremental ingestion: embed what was added or changed (by content hash), drop what was deleted.

A knowledge base records the vector space it was built in (model weights + dimension). If the model serving its
model id has changed since, everything is re-embedded into a fresh index: vectors from two spaces never mix.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from outcrop.errors import OutcropError, ValidationError
from outcrop.index.base import Record, VectorIndex
from outcrop.index.registry import Item, KnowledgeBase, Registry
from outcrop.index.sources import ItemKind, SourceDocument, chunk_text
from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedResult
from outcrop.tasks.imaging import ImageLimits, open_image

EmbedFn = Callable[[EmbedTask], Awaitable[EmbedResult]]
ProgressFn = Callable[[dict[str, int]], None]
IMAGE_LIMITS = ImageLimits(max_bytes=25_000_000, max_side=8192, max_pixels=8192 * 8192,
                           formats=frozenset({"PNG", "JPEG", "WEBP", "GIF"}))  # fmt: skip
CONCURRENCY = 16  # enough in flight for the executor to batch


@dataclass
class IngestReport:
    total: int = 0
    done: int = 0
    added: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    items: int = 0
    failures: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}


@dataclass(frozen=True)
class IngestContext:
    kb: KnowledgeBase
    registry: Registry
    index: VectorIndex
    embed: EmbedFn
    progress: ProgressFn


def document_hash(raw: bytes, document: SourceDocument) -> str:
    digest = hashlib.sha256(raw)
    digest.update(json.dumps(document.metadata, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def item_id(uri: str, chunk: int) -> str:
    return hashlib.sha256(f"{uri}#{chunk}".encode()).hexdigest()[:24]


async def ingest(ctx: IngestContext, documents: list[SourceDocument], rebuild: bool) -> IngestReport:
    """Bring the KB in line with `documents`. With `rebuild`, every document is embedded again."""
    report = IngestReport(total=len(documents))
    known = ctx.registry.document_hashes(ctx.kb.id)
    _delete_missing(ctx, known, {d.uri for d in documents}, report)
    compare = {} if rebuild else known  # a rebuild embeds everything again
    gate = asyncio.Semaphore(CONCURRENCY)
    await asyncio.gather(
        *(_one(ctx, d, compare.get(d.uri), seen_before=d.uri in known, report=report, gate=gate) for d in documents)
    )
    report.items = ctx.registry.count_items(ctx.kb.id)
    ctx.progress(report.counts())
    return report


def _delete_missing(ctx: IngestContext, known: dict[str, str], present: set[str], report: IngestReport) -> None:
    for uri in sorted(set(known) - present):
        ctx.index.delete(ctx.registry.item_ids(ctx.kb.id, uri))
        ctx.registry.remove_document(ctx.kb.id, uri)
        report.deleted += 1


async def _one(
    ctx: IngestContext,
    document: SourceDocument,
    old_hash: str | None,
    *,
    seen_before: bool,
    report: IngestReport,
    gate: asyncio.Semaphore,
) -> None:
    async with gate:
        try:
            raw = await asyncio.to_thread(document.read)
            content_hash = document_hash(raw, document)
            if content_hash == old_hash:
                report.unchanged += 1
            else:
                await _embed_document(ctx, document, raw, content_hash)
                report.added += not seen_before
                report.changed += seen_before
        except (OutcropError, OSError) as exc:
            report.failed += 1
            report.failures.append(f"{document.uri}: {getattr(exc, 'message', exc)}")
        report.done += 1
        ctx.progress(report.counts())


async def _embed_document(ctx: IngestContext, document: SourceDocument, raw: bytes, content_hash: str) -> None:
    tasks, items = _tasks_for(ctx.kb, document, raw)
    vectors = await asyncio.gather(*(ctx.embed(task) for task in tasks))
    stale = ctx.registry.item_ids(ctx.kb.id, document.uri)
    ctx.index.delete(stale)
    ctx.index.upsert([Record(i.id, v.vector, _index_metadata(i)) for i, v in zip(items, vectors, strict=True)])
    ctx.registry.put_document(ctx.kb.id, document.uri, document.kind, content_hash, items)


def _tasks_for(kb: KnowledgeBase, document: SourceDocument, raw: bytes) -> tuple[list[EmbedTask], list[Item]]:
    if document.kind is ItemKind.IMAGE:
        image = open_image(raw, document.uri, IMAGE_LIMITS).convert("RGB")
        item = Item(item_id(document.uri, 0), document.uri, 0, ItemKind.IMAGE, None, document.metadata)
        return [EmbedTask(text=None, image=image, dimension=kb.dimension)], [item]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{document.uri} is not UTF-8 text") from exc
    chunks = chunk_text(text)
    items = [Item(item_id(document.uri, n), document.uri, n, ItemKind.TEXT, c, document.metadata)
             for n, c in enumerate(chunks)]  # fmt: skip
    return [EmbedTask(text=c, image=None, dimension=kb.dimension) for c in chunks], items


def _index_metadata(item: Item) -> dict[str, object]:
    """What filters can see: the user's attributes plus the source URI (as Bedrock's x-amz-bedrock-kb-source-uri)."""
    return {**item.metadata, "x-amz-bedrock-kb-source-uri": item.uri}
