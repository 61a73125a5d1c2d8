"""Knowledge bases: create, ingest, search, recommend, compare. Embeddings come from an injected provider, so
this layer never imports the runtime (and tests can give it a test double)."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from outcrop.boundaries import DataBoundaries
from outcrop.errors import ConflictError, ResourceNotFoundError, ValidationError
from outcrop.index.base import VectorIndex
from outcrop.index.chunking import parse_chunking
from outcrop.index.filters import Filter
from outcrop.index.ingestion_runs import Feed, Ingestions
from outcrop.index.registry import DataSource, Ingestion, Item, KnowledgeBase, Registry, new_id
from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedResult

_NAME = re.compile(r"^[0-9a-zA-Z_-]{1,100}$")
_SOURCE_NAME = re.compile(r"^[0-9a-zA-Z][0-9a-zA-Z_-]{0,99}$")
_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d{12}:knowledge-base/(?P<id>[0-9A-Za-z]{10})$")


class EmbeddingProvider(Protocol):
    def check(self, model_id: str, dimension: int) -> None:
        """Raise ValidationError unless `model_id` embeds into `dimension`."""

    def space(self, model_id: str) -> str:
        """Which weights serve the model now (vectors of different spaces never mix)."""

    def max_text_tokens(self, model_id: str) -> int:
        """The longest text, in tokens, the model embeds whole (ingestion fits its chunks to it)."""

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
                 s3_client: Callable[[], Any] | None = None, *, ingest_in_flight: int = 8,
                 boundaries: DataBoundaries | None = None) -> None:  # fmt: skip
        """`ingest_in_flight`: embedding calls ingestion keeps queued at once (keep it under the model's queue
        size, so interactive requests always find room); `boundaries`: folders and buckets sources may name."""
        self.boundaries = boundaries or DataBoundaries()
        self.registry = registry
        self._indexes = indexes
        self._embeddings = embeddings
        self.s3_client = s3_client
        self._open: dict[str, VectorIndex] = {}
        self._lock = threading.Lock()
        self.ingestions = Ingestions(self, Feed(embeddings.embed, ingest_in_flight))

    # lifecycle

    def create(self, name: str, model_id: str, dimension: int, description: str = "", index_kind: str = "embedded",
               *, config: dict[str, Any] | None = None) -> KnowledgeBase:  # fmt: skip
        if not _NAME.match(name):
            raise ValidationError(f"name '{name}' must be 1-100 characters of letters, digits, '_' or '-'.")
        if self.registry.by_name(name) is not None:
            raise ValidationError(f"A knowledge base named '{name}' already exists; choose another name.")
        if index_kind not in ("embedded", "pgvector"):
            raise ValidationError(f"index '{index_kind}' is not supported; use embedded or pgvector.")
        self._embeddings.check(model_id, dimension)
        kb = KnowledgeBase(new_id(), name, description, model_id, dimension, index_kind, None, time.time(),
                           dict(config or {}))  # fmt: skip
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

    # data sources

    def create_source(self, kb_id: str, name: str, location: str, description: str = "",
                      chunking: dict[str, Any] | None = None) -> DataSource:  # fmt: skip
        """A new data source of the knowledge base (nothing is read until it is ingested)."""
        kb = self.get(kb_id)
        if not _SOURCE_NAME.match(name):
            raise ValidationError(f"data source name '{name}' must be 1-100 letters, digits, '_' or '-'.")
        if self.registry.source_named(kb.id, name) is not None:
            raise ConflictError(f"Knowledge base {kb.id} already has a data source named '{name}'; choose another.")
        parse_chunking(chunking)
        location = self.checked_location(location)
        now = time.time()
        source = DataSource(new_id(), kb.id, name, location, description, dict(chunking or {}), now, now)
        self.registry.add_source(source)
        return source

    def source(self, kb_id: str, source_id: str) -> DataSource:
        source = self.registry.source(self.get(kb_id).id, source_id)
        if source is None:
            raise ResourceNotFoundError(f"Data source {source_id} does not exist in knowledge base {kb_id}.")
        return source

    def source_at(self, kb_id: str, location: str) -> DataSource:
        """The data source reading `location`, created on first use (the native API's `{"source": ...}`)."""
        kb = self.get(kb_id)
        location = self.checked_location(location)
        for source in self.registry.sources(kb.id):
            if source.source == location:
                return source
        base = re.sub(r"[^0-9A-Za-z_-]+", "-", location.rstrip("/").rsplit("/", 1)[-1]).strip("-")[:80] or "source"
        names = {source.name for source in self.registry.sources(kb.id)}
        name = next(n for n in (base, *(f"{base}-{i}" for i in range(2, 10_000))) if n not in names)
        return self.create_source(kb.id, name, location)

    def delete_source(self, kb_id: str, source_id: str) -> None:
        """Remove a data source and only the items it owns."""
        source = self.source(kb_id, source_id)
        if self.ingestions.running(source.kb_id):
            raise ConflictError(f"An ingestion is running on knowledge base {source.kb_id}; delete after it ends.")
        index = self.index(self.get(source.kb_id))
        index.delete(self.registry.item_ids(source.kb_id, source.id))
        self.registry.remove_source(source.kb_id, source.id)

    # ingestion

    async def start_ingestion(self, kb_id: str, location: str) -> Ingestion:
        """Ingest `location` (a folder or s3:// prefix) as its own data source of the knowledge base."""
        source = await asyncio.to_thread(self.source_at, kb_id, location)
        return await self.ingest_source(kb_id, source.id)

    async def ingest_source(self, kb_id: str, source_id: str) -> Ingestion:
        kb, source = await asyncio.to_thread(self._ingestable, kb_id, source_id)
        return await self.ingestions.start(kb, source)

    def _ingestable(self, kb_id: str, source_id: str) -> tuple[KnowledgeBase, DataSource]:
        source = self.source(kb_id, source_id)
        self.checked_location(source.source)  # the boundaries may have narrowed since the source was created
        return self.get(source.kb_id), source

    def checked_location(self, location: str) -> str:
        """`location` as stored (a local path resolved), if the server's data boundaries allow it."""
        _check_location(location)
        if location.startswith("s3://"):
            self.boundaries.s3(location)
            return location
        return str(self.boundaries.local(location))

    async def resume_interrupted(self) -> list[Ingestion]:
        return await self.ingestions.resume_interrupted()

    def ingestion(self, run_id: str) -> Ingestion:
        run = self.registry.ingestion(run_id)
        if run is None:
            raise ResourceNotFoundError(f"Ingestion {run_id} does not exist.")
        return run

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

    def max_text_tokens(self, kb: KnowledgeBase) -> int:
        return self._embeddings.max_text_tokens(kb.model_id)

    def space_of(self, kb: KnowledgeBase) -> str:
        """The vector space `kb` is embedded in now: the serving weights and the dimension."""
        return f"{self._embeddings.space(kb.model_id)}@{kb.dimension}"

    def _check_space(self, kb: KnowledgeBase) -> None:
        space = self.space_of(kb)
        if kb.space is not None and kb.space != space:
            raise ValidationError(
                f"Knowledge base {kb.id} was embedded with {kb.space}, but {kb.model_id} is now served by {space}. "
                f"Run `outcrop kb ingest {kb.id} SOURCE` again: it re-embeds everything in the new space."
            )


def _check_location(location: str) -> None:
    if not location or (not location.startswith("s3://") and "://" in location):
        raise ValidationError(
            f"data source location '{location}' must be a folder path on the server or s3://bucket/prefix."
        )
