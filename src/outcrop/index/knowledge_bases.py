"""Knowledge bases: create, ingest, search, recommend, compare. Embeddings come from an injected provider, so
this layer never imports the runtime (and tests can give it a test double)."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from outcrop.errors import OutcropError, ResourceNotFoundError, ValidationError
from outcrop.index.base import VectorIndex
from outcrop.index.filters import Filter
from outcrop.index.ingest import IngestContext, IngestReport, ingest
from outcrop.index.registry import Ingestion, Item, KnowledgeBase, Registry, new_id
from outcrop.index.sources import scan
from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedResult

log = logging.getLogger(__name__)
_NAME = re.compile(r"^[0-9a-zA-Z_-]{1,100}$")
_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d{12}:knowledge-base/(?P<id>[0-9A-Za-z]{10})$")


class EmbeddingProvider(Protocol):
    def check(self, model_id: str, dimension: int) -> None:
        """Raise ValidationError unless `model_id` embeds into `dimension`."""

    def space(self, model_id: str) -> str:
        """Which weights serve the model now (vectors of different spaces never mix)."""

    async def embed(self, model_id: str, task: EmbedTask) -> EmbedResult: ...


class IndexStore(Protocol):
    def open(self, kb: KnowledgeBase) -> VectorIndex: ...

    def drop(self, kb: KnowledgeBase) -> None: ...


@dataclass(frozen=True)
class Match:
    item: Item
    score: float


class KnowledgeBases:
    def __init__(self, registry: Registry, indexes: IndexStore, embeddings: EmbeddingProvider,
                 s3_client: Callable[[], Any] | None = None) -> None:  # fmt: skip
        self.registry = registry
        self._indexes = indexes
        self._embeddings = embeddings
        self.s3_client = s3_client
        self._open: dict[str, VectorIndex] = {}
        self._lock = threading.Lock()
        self._runs: set[asyncio.Task[None]] = set()

    # lifecycle

    def create(
        self, name: str, model_id: str, dimension: int, description: str = "", index_kind: str = "embedded"
    ) -> KnowledgeBase:
        if not _NAME.match(name):
            raise ValidationError(f"name '{name}' must be 1-100 characters of letters, digits, '_' or '-'.")
        if self.registry.by_name(name) is not None:
            raise ValidationError(f"A knowledge base named '{name}' already exists; choose another name.")
        if index_kind not in ("embedded", "pgvector"):
            raise ValidationError(f"index '{index_kind}' is not supported; use embedded or pgvector.")
        self._embeddings.check(model_id, dimension)
        kb = KnowledgeBase(new_id(), name, description, model_id, dimension, index_kind, None, time.time())
        self.registry.add(kb)
        self.index(kb)
        return kb

    def get(self, identifier: str) -> KnowledgeBase:
        match = _ARN.match(identifier)
        kb = self.registry.get(match.group("id") if match else identifier)
        if kb is None:
            raise ResourceNotFoundError(f"Knowledge base {identifier} does not exist; `outcrop kb list` shows them.")
        return kb

    def all(self) -> list[KnowledgeBase]:
        return self.registry.all()

    def delete(self, identifier: str) -> None:
        kb = self.get(identifier)
        with self._lock:
            index = self._open.pop(kb.id, None)
        if index is not None:
            index.close()
        self._indexes.drop(kb)
        self.registry.remove(kb.id)

    def index(self, kb: KnowledgeBase) -> VectorIndex:
        with self._lock:
            if kb.id not in self._open:
                self._open[kb.id] = self._indexes.open(kb)
            return self._open[kb.id]

    def close(self) -> None:
        with self._lock:
            for index in self._open.values():
                index.close()
            self._open.clear()

    # ingestion

    def start_ingestion(self, identifier: str, source: str) -> Ingestion:
        """Scan now (bad sources fail at once), embed in the background; poll `ingestion(run_id)`."""
        kb = self.get(identifier)
        documents = scan(source, self.s3_client)
        run = Ingestion(new_id(12), kb.id, source, "IN_PROGRESS", {"total": len(documents)}, None, time.time())
        self._launch(kb, run, documents)
        return run

    def resume_interrupted(self) -> list[Ingestion]:
        """Start again, under the same ids, the runs a stopped server left IN_PROGRESS (call on startup, in the
        event loop). Ingestion is incremental, so what was embedded before the stop is found unchanged."""
        resumed = []
        for run in self.registry.interrupted():
            try:
                kb, documents = self.get(run.kb_id), scan(run.source, self.s3_client)
            except OutcropError as error:
                run.status, run.ended_at = "FAILED", time.time()
                run.error = f"could not resume after a restart: {error.message}"
                self.registry.save_ingestion(run)
                continue
            run.report = {"total": len(documents)}
            self._launch(kb, run, documents)
            resumed.append(run)
        return resumed

    def _launch(self, kb: KnowledgeBase, run: Ingestion, documents: list[Any]) -> None:
        self.registry.save_ingestion(run)
        task = asyncio.get_running_loop().create_task(self._run_ingestion(kb, run, documents))
        self._runs.add(task)
        task.add_done_callback(self._runs.discard)

    def ingestion(self, run_id: str) -> Ingestion:
        run = self.registry.ingestion(run_id)
        if run is None:
            raise ResourceNotFoundError(f"Ingestion {run_id} does not exist.")
        return run

    async def _run_ingestion(self, kb: KnowledgeBase, run: Ingestion, documents: list[Any]) -> None:
        try:
            report = await self._ingest(kb, run, documents)
            run.status, run.report = "COMPLETE", report.counts()
            run.error = "; ".join(report.failures[:20]) or None
        except Exception as exc:  # the run records why it failed; the server goes on
            log.exception("ingestion %s failed", run.id)
            run.status, run.error = "FAILED", getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        run.ended_at = time.time()
        self.registry.save_ingestion(run)

    async def _ingest(self, kb: KnowledgeBase, run: Ingestion, documents: list[Any]) -> IngestReport:
        space = self._space(kb)
        rebuild = kb.space is not None and kb.space != space
        index = self.index(kb)
        if rebuild:
            log.info("KB %s: model space changed (%s -> %s); re-embedding everything", kb.id, kb.space, space)
            index.delete([item.id for item in self.registry.list_items(kb.id, 0, 10**9)])
        self.registry.set_space(kb.id, space)

        def progress(counts: dict[str, int]) -> None:
            run.report = counts

        async def embed(task: EmbedTask) -> EmbedResult:
            return await self._embeddings.embed(kb.model_id, task)

        ctx = IngestContext(self.get(kb.id), self.registry, index, embed, progress)
        return await ingest(ctx, documents, rebuild)

    # search

    async def embed_query(self, kb: KnowledgeBase, task: EmbedTask) -> NDArray[np.float32]:
        self._check_space(kb)
        result = await self._embeddings.embed(kb.model_id, task)
        return np.asarray(result.vector, dtype=np.float32)

    def search(self, kb: KnowledgeBase, vector: NDArray[np.float32], k: int, where: Filter | None = None,
               exclude: Sequence[str] = ()) -> list[Match]:  # fmt: skip
        excluded = set(exclude)
        hits = [hit for hit in self.index(kb).search(vector, k + len(excluded), where) if hit.id not in excluded][:k]
        items = {item.id: item for item in self.registry.items(kb.id, [hit.id for hit in hits])}
        return [Match(items[hit.id], hit.score) for hit in hits if hit.id in items]

    def recommend(self, kb: KnowledgeBase, positive: Sequence[str], negative: Sequence[str] = (), k: int = 5,
                  where: Filter | None = None) -> list[Match]:  # fmt: skip
        """More like `positive`, less like `negative` (Rocchio: mean of positives minus half the negatives)."""
        self._check_space(kb)
        liked, disliked = self.registry.items(kb.id, positive), self.registry.items(kb.id, negative)
        target = self._vectors(kb, liked, "positive").mean(axis=0)
        if negative:
            target = target - 0.5 * self._vectors(kb, disliked, "negative").mean(axis=0)
        exclude = [item.id for item in (*liked, *disliked)]
        return self.search(kb, target.astype(np.float32), k, where, exclude)

    def similarity(self, kb: KnowledgeBase, ids: Sequence[str]) -> tuple[list[Item], NDArray[np.float32]]:
        """Items and their pairwise cosine similarities."""
        items = self.registry.items(kb.id, ids)
        vectors = self._vectors(kb, items, "items")
        return items, (vectors @ vectors.T).astype(np.float32)

    def _vectors(self, kb: KnowledgeBase, items: Sequence[Item], what: str) -> NDArray[np.float32]:
        records = self.index(kb).get([item.id for item in items])
        if not records:
            raise ValidationError(
                f"None of the {what} ids are in knowledge base {kb.id}; send item ids or source URIs."
            )
        return np.stack([record.vector for record in records]).astype(np.float32)

    def _space(self, kb: KnowledgeBase) -> str:
        """The vector space `kb` is embedded in now: the serving weights and the dimension."""
        return f"{self._embeddings.space(kb.model_id)}@{kb.dimension}"

    def _check_space(self, kb: KnowledgeBase) -> None:
        space = self._space(kb)
        if kb.space is not None and kb.space != space:
            raise ValidationError(
                f"Knowledge base {kb.id} was embedded with {kb.space}, but {kb.model_id} is now served by {space}. "
                f"Run `outcrop kb ingest {kb.id} SOURCE` again: it re-embeds everything in the new space."
            )
