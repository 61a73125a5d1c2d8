"""An embedding provider test double (named as one) for in-process knowledge-base tests: every call waits until
`open` is set, and it counts calls in flight, so a test controls when embeddings finish."""

from __future__ import annotations

import asyncio

import numpy as np

from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedResult


def result() -> EmbedResult:
    return EmbedResult(vector=np.ones(8, dtype=np.float32) / np.sqrt(8), text_token_count=1)


class GatedEmbeddings:
    """Embedding provider test double: every call waits until `open` is set, and counts calls in flight."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.in_flight = 0
        self.most_in_flight = 0

    def check(self, model_id: str, dimension: int) -> None:
        pass

    def space(self, model_id: str) -> str:
        return "gated@8"

    def max_text_tokens(self, model_id: str) -> int:
        return 256

    async def embed(self, model_id: str, task: EmbedTask) -> EmbedResult:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await self.open.wait()
        self.in_flight -= 1
        return result()
