"""Ingestion runs in-process, with an embedding provider test double that the test controls: pacing and retries
(Feed), one run per knowledge base at a time, and data sources that cannot be deleted under a running ingestion."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from outcrop.errors import ConflictError, ModelError, ThrottlingError
from outcrop.index.ingestion_runs import Feed, RetryPolicy
from outcrop.index.knowledge_bases import KnowledgeBases
from outcrop.index.registry import Registry
from outcrop.index.stores import IndexStores
from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedResult
from support.gated_embeddings import GatedEmbeddings, result

FAST = RetryPolicy(attempts=4, first_delay_s=0.001, max_delay_s=0.001)


def test_feed_retries_a_refusal_and_then_succeeds():
    refusals = [ThrottlingError("queue full"), ThrottlingError("queue full")]

    async def flaky(model_id: str, task: EmbedTask) -> EmbedResult:
        if refusals:
            raise refusals.pop()
        return result()

    answer = asyncio.run(Feed(flaky, 2, FAST)("m", EmbedTask(text="x", image=None, dimension=8)))
    assert answer.vector.shape == (8,)
    assert refusals == []


def test_feed_gives_up_after_its_attempts_and_never_retries_a_model_error():
    calls: list[str] = []

    async def refusing(model_id: str, task: EmbedTask) -> EmbedResult:
        calls.append(model_id)
        raise ThrottlingError("queue full") if model_id == "busy" else ModelError("bad input")

    task = EmbedTask(text="x", image=None, dimension=8)
    with pytest.raises(ThrottlingError):
        asyncio.run(Feed(refusing, 1, FAST)("busy", task))
    with pytest.raises(ModelError):
        asyncio.run(Feed(refusing, 1, FAST)("broken", task))
    assert calls.count("busy") == FAST.attempts
    assert calls.count("broken") == 1


def kbs_for(tmp_path: Path, embeddings: GatedEmbeddings, in_flight: int) -> KnowledgeBases:
    return KnowledgeBases(Registry(tmp_path / "registry.sqlite"), IndexStores(tmp_path / "kb"), embeddings,
                          ingest_in_flight=in_flight)  # fmt: skip


def texts(folder: Path, count: int) -> Path:
    folder.mkdir()
    for n in range(count):
        (folder / f"t{n}.txt").write_text(f"document {n}")
    return folder


def test_one_run_per_knowledge_base_and_bounded_embedding_calls(tmp_path):
    embeddings = GatedEmbeddings()
    kbs = kbs_for(tmp_path, embeddings, in_flight=3)
    folder = texts(tmp_path / "docs", 12)

    async def scenario() -> dict:  # registry calls (SQLite) run in threads, as the server's routes run them
        kb = await asyncio.to_thread(kbs.create, "gated", "model", 8)
        run = await kbs.start_ingestion(kb.id, str(folder))
        await asyncio.sleep(0.05)
        with pytest.raises(ConflictError):
            await kbs.start_ingestion(kb.id, str(folder))
        source = (await asyncio.to_thread(kbs.registry.sources, kb.id))[0]
        with pytest.raises(ConflictError):
            await asyncio.to_thread(kbs.delete_source, kb.id, source.id)
        assert embeddings.in_flight == 3  # the feed holds the rest back
        embeddings.open.set()
        while (await asyncio.to_thread(kbs.ingestion, run.id)).status == "IN_PROGRESS":
            await asyncio.sleep(0.01)
        return (await asyncio.to_thread(kbs.ingestion, run.id)).report

    report = asyncio.run(scenario())
    assert (report["added"], report["failed"]) == (12, 0)
    assert embeddings.most_in_flight == 3
    kbs.close()
