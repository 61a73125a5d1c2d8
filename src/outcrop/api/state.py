"""What every request handler shares: settings, the catalog and the executor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from outcrop.api.async_jobs import AsyncJobs
from outcrop.catalog import Catalog
from outcrop.index.knowledge_bases import KnowledgeBases
from outcrop.runtime.embedder import Embedder
from outcrop.runtime.executor import Executor
from outcrop.safety.filters import ContentFilter
from outcrop.safety.release import Release
from outcrop.safety.review import ReviewStore
from outcrop.settings import Settings

if TYPE_CHECKING:
    from outcrop.api.job_wiring import JobsWiring


@dataclass
class ServerState:
    settings: Settings
    catalog: Catalog
    executor: Executor
    embedder: Embedder
    knowledge_bases: KnowledgeBases
    guard: ContentFilter
    review: ReviewStore
    release: Release
    jobs: AsyncJobs
    job_workers: JobsWiring
    credentials: Mapping[str, str] = field(default_factory=dict)
    bearer_tokens: frozenset[str] = frozenset()
