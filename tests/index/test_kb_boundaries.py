"""Knowledge-base sources stay inside the server's data boundaries: folders under OUTCROP_SOURCE_ROOTS (symlinks
followed, then checked) and buckets on OUTCROP_ALLOWED_BUCKETS; with credentials configured, unset means none."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from outcrop.boundaries import DataBoundaries
from outcrop.errors import AccessDeniedError
from outcrop.index.knowledge_bases import KnowledgeBases
from outcrop.index.registry import Registry
from outcrop.index.stores import IndexStores
from outcrop.settings import Settings
from support.gated_embeddings import GatedEmbeddings


def kbs(tmp_path: Path, boundaries: DataBoundaries, embeddings: GatedEmbeddings | None = None) -> KnowledgeBases:
    return KnowledgeBases(Registry(tmp_path / "registry.sqlite"), IndexStores(tmp_path / "kb"),
                          embeddings or GatedEmbeddings(), boundaries=boundaries)  # fmt: skip


def test_credentials_turn_unset_boundaries_into_none(tmp_path):
    open_server = Settings(home=tmp_path).boundaries
    assert open_server.allows_local(Path("/etc"))
    locked = Settings(home=tmp_path, access_key_id="AK", secret_access_key="secret").boundaries
    assert not locked.allows_local(Path("/etc"))
    with pytest.raises(AccessDeniedError, match="OUTCROP_ALLOWED_BUCKETS"):
        locked.s3("s3://any-bucket/x")


def test_a_folder_outside_the_roots_is_refused_naming_the_setting(tmp_path):
    root = tmp_path / "catalog"
    root.mkdir()
    bases = kbs(tmp_path, DataBoundaries.build([root], None, locked=True))
    kb = bases.create("bounded", "model", 8)
    with pytest.raises(AccessDeniedError, match="OUTCROP_SOURCE_ROOTS"):
        bases.create_source(kb.id, "etc", "/etc")
    with pytest.raises(AccessDeniedError, match="OUTCROP_SOURCE_ROOTS"):
        bases.create_source(kb.id, "dotdot", str(root / ".." / ".."))
    assert bases.create_source(kb.id, "inside", str(root)).source == str(root.resolve())


def test_a_symlink_out_of_the_root_is_skipped_not_read(tmp_path):
    root, secret = tmp_path / "catalog", tmp_path / "secret.txt"
    root.mkdir()
    secret.write_text("server secret")
    (root / "ok.txt").write_text("a product description")
    (root / "escape.txt").symlink_to(secret)
    (root / "linked-dir").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    embeddings = GatedEmbeddings()
    bases = kbs(tmp_path, DataBoundaries.build([root], None, locked=True), embeddings)
    kb = bases.create("links", "model", 8)

    async def ingest() -> dict:
        embeddings.open.set()  # the test double embeds at once
        run = await bases.start_ingestion(kb.id, str(root))
        while (await asyncio.to_thread(bases.ingestion, run.id)).status == "IN_PROGRESS":  # SQLite: off the loop
            await asyncio.sleep(0.01)
        return (await asyncio.to_thread(bases.ingestion, run.id)).report

    report = asyncio.run(ingest())
    assert (report["added"], report["failed"]) == (1, 1)
    assert "escape.txt" in report["failures"][0] and "OUTCROP_SOURCE_ROOTS" in report["failures"][0]
    assert all(item.text != "server secret" for item in bases.registry.list_items(kb.id))


def test_buckets_and_prefixes(tmp_path):
    bases = kbs(tmp_path, DataBoundaries.build(None, ["shop", "s3://media/public/"], locked=True))
    kb = bases.create("buckets", "model", 8)
    assert bases.create_source(kb.id, "shop", "s3://shop/any/prefix").source == "s3://shop/any/prefix"
    assert bases.create_source(kb.id, "public", "s3://media/public/photos").source == "s3://media/public/photos"
    for denied in ("s3://media/private/x", "s3://shopping/x", "s3://media/publicity"):
        with pytest.raises(AccessDeniedError, match="OUTCROP_ALLOWED_BUCKETS"):
            bases.create_source(kb.id, "denied", denied)
