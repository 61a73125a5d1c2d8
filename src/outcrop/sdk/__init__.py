"""Outcrop's Python SDK: `Client` (sync), `AsyncClient` and `InProcessClient` over the native REST API.

Example:
    >>> import outcrop
    >>> with outcrop.Client("http://127.0.0.1:8686") as client:
    ...     result = client.images.generate("a red lamp", width=512, height=512, seed=7)
    ...     result.images[0].save("lamp.png")
"""

from __future__ import annotations

from outcrop.sdk.aio import AsyncClient, AsyncVideoJob
from outcrop.sdk.client import Client, InProcessClient, VideoJob
from outcrop.sdk.errors import OutcropAPIError
from outcrop.sdk.types import (
    Embedding,
    GeneratedImages,
    Ingestion,
    JobView,
    KnowledgeBase,
    ModelInfo,
    ReviewAsset,
    SearchHit,
    TaskBinding,
)

__all__ = [
    "AsyncClient",
    "AsyncVideoJob",
    "Client",
    "Embedding",
    "GeneratedImages",
    "InProcessClient",
    "Ingestion",
    "JobView",
    "KnowledgeBase",
    "ModelInfo",
    "OutcropAPIError",
    "ReviewAsset",
    "SearchHit",
    "TaskBinding",
    "VideoJob",
]
