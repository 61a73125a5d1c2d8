"""Ingestion never loses a document: it feeds the model at the rate the model takes, a bad file fails alone,
and a knowledge base's data sources each own their items (ingesting or deleting one never touches another's).

Embeddings come from the deterministic test double (tests/support/double_embedder.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from support.double_embedder import serving

WORDS = ["river", "stone", "lantern", "copper", "meadow", "violet", "harbor", "cedar"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, models_dir):
    """A server whose embedding model queue holds two requests: ingestion must pace itself to fit."""
    with serving(tmp_path_factory.mktemp("sources-home"), models_dir, queue_size=2) as live:
        yield live


def api(server, method: str, path: str, **kwargs):
    reply = httpx.request(method, f"{server.url}/v1/knowledge-bases{path}", timeout=30, **kwargs)
    assert reply.status_code < 300, reply.text
    return reply.json() if reply.content else None


def create(server, name: str) -> str:
    return api(server, "POST", "", json={"name": name, "dimension": 256})["id"]


def ingest(server, kb_id: str, source: Path) -> dict:
    run = api(server, "POST", f"/{kb_id}/ingestions", json={"source": str(source)})
    deadline = time.monotonic() + 120
    while run["status"] == "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.05)
        run = api(server, "GET", f"/{kb_id}/ingestions/{run['id']}")
    assert run["status"] == "COMPLETE", run
    return run


def uris(server, kb_id: str) -> set[str]:
    return {Path(item["uri"]).name for item in api(server, "GET", f"/{kb_id}/items?limit=1000")["items"]}


def text_folder(folder: Path, count: int, long: int) -> Path:
    folder.mkdir()
    for n in range(count):
        size = 2_000 if n < long else 40
        (folder / f"doc{n:02d}.txt").write_text(" ".join(WORDS[(n + i) % len(WORDS)] for i in range(size)) + f" {n}")
    return folder


def test_sixty_text_files_are_all_indexed_through_a_two_slot_queue(server, tmp_path):
    folder = text_folder(tmp_path / "texts", 60, long=10)
    kb_id = create(server, "sixty")
    report = ingest(server, kb_id, folder)["report"]
    assert (report["added"], report["failed"], report["failures"]) == (60, 0, [])
    assert len(uris(server, kb_id)) == 60
    assert report["items"] > 60  # the long files were split into several chunks each


def test_a_second_source_keeps_the_first_sources_items(server, tmp_path):
    kb_id = create(server, "two-sources")
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, colour in ((first, "ff0000"), (second, "00ff00")):
        folder.mkdir()
        Image.new("RGB", (32, 32), "#" + colour).save(folder / f"{colour}.png")
    ingest(server, kb_id, first)
    ingest(server, kb_id, second)
    assert uris(server, kb_id) == {"ff0000.png", "00ff00.png"}
    again = ingest(server, kb_id, first)["report"]  # re-ingesting one source is incremental for that source only
    assert (again["unchanged"], again["deleted"]) == (1, 0)
    assert uris(server, kb_id) == {"ff0000.png", "00ff00.png"}

    sources = api(server, "GET", f"/{kb_id}/data-sources")["dataSources"]
    assert sorted(s["source"] for s in sources) == sorted([str(first), str(second)])
    gone = next(s for s in sources if s["source"] == str(first))
    api(server, "DELETE", f"/{kb_id}/data-sources/{gone['id']}")
    assert uris(server, kb_id) == {"00ff00.png"}
    agent = server.client("bedrock-agent-runtime")
    hits = agent.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": "colour:ff0000"})["retrievalResults"]
    assert [h["location"]["customDocumentLocation"]["id"].rsplit("/", 1)[1] for h in hits] == ["00ff00.png"]
    assert hits[0]["metadata"]["x-amz-bedrock-kb-data-source-id"] != gone["id"]


def test_bad_files_fail_alone_and_are_named(server, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for n in range(5):
        (folder / f"good{n}.txt").write_text(f"a good document number {n}")
    Image.new("RGB", (16, 16), "#0000ff").save(folder / "fine.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (folder / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (folder / "archive.bin").write_bytes(b"\x00\x01")
    (folder / "meta.txt").write_text("has bad metadata")
    (folder / "meta.txt.metadata.json").write_text("{not json")
    kb_id = create(server, "bad-neighbours")
    run = ingest(server, kb_id, folder)
    report = run["report"]
    assert (report["scanned"], report["added"], report["failed"]) == (11, 6, 5)
    failed = {reason.split(": ", 1)[0].rsplit("/", 1)[1] for reason in report["failures"]}
    assert failed == {"broken.png", "broken.pdf", "latin1.txt", "archive.bin", "meta.txt"}
    assert uris(server, kb_id) == {f"good{n}.txt" for n in range(5)} | {"fine.png"}


def test_a_changed_file_that_breaks_keeps_its_previous_version(server, tmp_path):
    folder = tmp_path / "changing"
    folder.mkdir()
    Image.new("RGB", (16, 16), "#123456").save(folder / "photo.png")
    kb_id = create(server, "keeps-old")
    ingest(server, kb_id, folder)
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"overwritten by a bad upload")
    report = ingest(server, kb_id, folder)["report"]
    assert (report["failed"], report["deleted"]) == (1, 0)
    assert uris(server, kb_id) == {"photo.png"}


def test_the_report_counts_metadata_files(server, tmp_path):
    folder = tmp_path / "meta"
    folder.mkdir()
    (folder / "a.txt").write_text("alpha")
    (folder / "a.txt.metadata.json").write_text(json.dumps({"metadataAttributes": {"genre": "x"}}))
    (folder / "b.txt").write_text("beta")
    report = ingest(server, create(server, "meta-count"), folder)["report"]
    assert (report["scanned"], report["metadata_scanned"], report["added"]) == (2, 1, 2)
