"""Embeddings through the cache, then the executor: the one way every caller (wire, KBs) embeds."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np

from outcrop.backends.embedding_space import at_length, unit
from outcrop.catalog import ModelEntry
from outcrop.catalog.model import EMBEDDING_DIMENSIONS, EMBEDDING_TEXT_TOKENS
from outcrop.errors import ModelError, ValidationError
from outcrop.runtime.embedding_cache import EmbeddingCache
from outcrop.runtime.executor import Executor
from outcrop.tasks import EmbedTask, TaskKind
from outcrop.tasks.embed import EmbedResult

# Bumped when the same weights start producing other vectors (a knowledge base built before is re-embedded, cached
# vectors are not reused). "+iso": outputs longer than the model's native size are spread by an isometry, not padded.
SPACE_REVISION = "+iso"


class Embedder:
    def __init__(self, executor: Executor, cache: EmbeddingCache | None) -> None:
        self.executor = executor
        self.cache = cache

    def space(self, entry: ModelEntry) -> str:
        """Which weights currently serve this model's embeddings; vectors from different spaces never mix."""
        return f"{self.executor.binding_key(entry, TaskKind.EMBED)}{SPACE_REVISION}"

    async def embed(self, entry: ModelEntry, task: EmbedTask) -> EmbedResult:
        space = self.space(entry)
        # The cache is SQLite: its reads and writes run in a thread, off the event loop.
        if self.cache is not None and (hit := await asyncio.to_thread(self.cache.lookup, space, task)) is not None:
            return hit
        result = await self.executor.run(entry, task)
        if not isinstance(result, EmbedResult):
            raise ModelError(f"{entry.model_id} returned {type(result).__name__} instead of an embedding.")
        if self.cache is not None:
            await asyncio.to_thread(self.cache.store, space, task, result)
        return result


def mean_of(results: Sequence[EmbedResult], length: int) -> EmbedResult:
    """One embedding for many (a video's frames): the mean of their full-length vectors, at `length`."""
    rows = np.stack([np.asarray(r.full if r.full is not None else r.vector, dtype=np.float64) for r in results])
    full = unit(rows.mean(axis=0)).astype(np.float32)
    tokens = sum(r.text_token_count for r in results)
    return EmbedResult(vector=at_length(full, length), text_token_count=tokens, full=full)


class ModelEmbeddings:
    """Embeddings addressed by Bedrock model id, for knowledge bases (the index layer's EmbeddingProvider)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._catalog = embedder.executor.catalog

    def check(self, model_id: str, dimension: int) -> None:
        entry = self._catalog.resolve(model_id)
        dimensions = EMBEDDING_DIMENSIONS.get(entry.family)
        if dimensions is None:
            embedders = [m for m, e in self._catalog.models.items() if e.family in EMBEDDING_DIMENSIONS]
            raise ValidationError(f"{model_id} is not an embedding model; use one of: {', '.join(embedders)}.")
        if dimension not in dimensions:
            raise ValidationError(
                f"{model_id} embeds into {', '.join(map(str, dimensions))} dimensions; {dimension} is not one of them."
            )

    def space(self, model_id: str) -> str:
        return self._embedder.space(self._catalog.resolve(model_id))

    def max_text_tokens(self, model_id: str) -> int:
        return EMBEDDING_TEXT_TOKENS.get(self._catalog.resolve(model_id).family, 256)

    async def embed(self, model_id: str, task: EmbedTask) -> EmbedResult:
        return await self._embedder.embed(self._catalog.resolve(model_id), task)
