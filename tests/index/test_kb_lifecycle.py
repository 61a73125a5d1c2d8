"""Knowledge bases survive restarts, and a change of the model serving them re-embeds instead of mixing spaces."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from PIL import Image

from outcrop.backends import registry
from outcrop.cli.main import cli
from support.double_embedder import OVERLAY
from support.live_server import start_server


def cli_json(server, *args: str):
    result = CliRunner().invoke(cli, ["--url", server.url, *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def home(tmp_path, monkeypatch):
    (tmp_path / "catalog.toml").write_text(OVERLAY)
    monkeypatch.setitem(registry.BACKENDS, "double-embedder", "support.double_embedder:load")
    return tmp_path


def photos(folder):
    folder.mkdir()
    for hexa in ("ff0000", "00ff00", "0000ff"):
        Image.new("RGB", (40, 40), "#" + hexa).save(folder / f"{hexa}.png")
    return folder


def top_uri(server, kb_id: str, text: str) -> str:
    agent = server.client("bedrock-agent-runtime")
    reply = agent.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": text})
    return reply["retrievalResults"][0]["location"]["customDocumentLocation"]["id"]


def test_index_persists_across_restart(home, models_dir, tmp_path):
    folder = photos(tmp_path / "photos")
    with start_server(home=home, models_dir=models_dir, profile="tiny") as server:
        kb_id = cli_json(server, "kb", "create", "persist")["id"]
        cli_json(server, "kb", "ingest", kb_id, str(folder))
        before = top_uri(server, kb_id, "colour:00ff00")
    with start_server(home=home, models_dir=models_dir, profile="tiny") as server:
        assert top_uri(server, kb_id, "colour:00ff00") == before
        assert before.endswith("00ff00.png")
        again = cli_json(server, "kb", "ingest", kb_id, str(folder))["report"]
        assert again["unchanged"] == 3
        assert again["added"] == 0


def test_model_space_change_is_refused_then_reembedded(home, models_dir, tmp_path):
    folder = photos(tmp_path / "photos")
    with start_server(home=home, models_dir=models_dir, profile="tiny") as server:
        kb_id = cli_json(server, "kb", "create", "spaces", "--dimension", "256")["id"]
        cli_json(server, "kb", "ingest", kb_id, str(folder))
        kbs = server.server.config.app.state.outcrop.knowledge_bases
        kbs.registry.set_space(kb_id, "clip:some-other-weights@256")  # as if the catalog had bound other weights
        agent = server.client("bedrock-agent-runtime")
        with pytest.raises(agent.exceptions.ValidationException) as caught:
            agent.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": "colour:ff0000"})
        assert "ingest" in caught.value.response["Error"]["Message"]
        report = cli_json(server, "kb", "ingest", kb_id, str(folder))["report"]
        assert report["changed"] == 3
        assert report["unchanged"] == 0
        assert top_uri(server, kb_id, "colour:ff0000").endswith("ff0000.png")


def test_vectors_of_another_dimension_are_refused(home, models_dir):
    from outcrop.index.base import DimensionMismatchError, Record

    with start_server(home=home, models_dir=models_dir, profile="tiny") as server:
        kb_id = cli_json(server, "kb", "create", "dims", "--dimension", "384")["id"]
        kbs = server.server.config.app.state.outcrop.knowledge_bases
        index = kbs.index(kbs.get(kb_id))
        import numpy as np

        with pytest.raises(DimensionMismatchError):
            index.upsert([Record("x", np.ones(1024, dtype=np.float32))])


def test_pgvector_knowledge_base_end_to_end(home, models_dir, tmp_path, postgres_dsn):
    """The same CLI and Retrieve calls with the vectors in PostgreSQL + pgvector (a real server)."""
    folder = photos(tmp_path / "photos")
    with start_server(home=home, models_dir=models_dir, profile="tiny", pg_dsn=postgres_dsn) as server:
        kb_id = cli_json(server, "kb", "create", "pg", "--index", "pgvector", "--dimension", "256")["id"]
        report = cli_json(server, "kb", "ingest", kb_id, str(folder))["report"]
        assert report["added"] == 3
        assert top_uri(server, kb_id, "colour:0000ff").endswith("0000ff.png")
        agent = server.client("bedrock-agent-runtime")
        reply = agent.retrieve(
            knowledgeBaseId=kb_id,
            retrievalQuery={"text": "colour:0000ff"},
            retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 5, "filter": {
                "startsWith": {"key": "x-amz-bedrock-kb-source-uri", "value": (folder / "ff").as_uri()}}}},
        )  # fmt: skip
        assert [r["location"]["customDocumentLocation"]["id"].rsplit("/", 1)[1] for r in reply["retrievalResults"]] == [
            "ff0000.png"
        ]
        CliRunner().invoke(cli, ["--url", server.url, "kb", "delete", kb_id], catch_exceptions=False)
    import psycopg

    with psycopg.connect(postgres_dsn) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'outcrop_kb_%'").fetchall()
    assert (f"outcrop_kb_{kb_id.lower()}",) not in tables


def test_ingestion_interrupted_by_a_stop_resumes_on_restart(home, models_dir, tmp_path):
    """A run a dead server left IN_PROGRESS (half its documents embedded) completes after the next start."""
    import time

    import httpx

    from outcrop.index.registry import Ingestion, Registry

    folder = photos(tmp_path / "photos")
    with start_server(home=home, models_dir=models_dir, profile="tiny") as server:
        kb_id = cli_json(server, "kb", "create", "resumed")["id"]
        (folder / "0000ff.png").rename(tmp_path / "later.png")  # embed two of three before the "crash"
        cli_json(server, "kb", "ingest", kb_id, str(folder))
    (tmp_path / "later.png").rename(folder / "0000ff.png")
    registry = Registry(home / "kb" / "registry.sqlite")
    (source,) = registry.sources(kb_id)
    run = Ingestion("RUNDIEDMID01", kb_id, str(folder), "IN_PROGRESS", {"total": 3}, None, 1.0, source_id=source.id)
    registry.save_ingestion(run)
    registry.close()
    with start_server(home=home, models_dir=models_dir, profile="tiny") as server:
        url = f"{server.url}/v1/knowledge-bases/{kb_id}/ingestions/RUNDIEDMID01"
        deadline = time.monotonic() + 60
        while (run := httpx.get(url, timeout=10).json())["status"] == "IN_PROGRESS" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert run["status"] == "COMPLETE", run
        assert (run["report"]["unchanged"], run["report"]["added"]) == (2, 1)
        assert top_uri(server, kb_id, "colour:0000ff").endswith("0000ff.png")


def test_ingestion_that_cannot_resume_fails_with_the_reason(home, models_dir, tmp_path):
    import httpx

    from outcrop.index.registry import Ingestion, Registry

    with start_server(home=home, models_dir=models_dir, profile="tiny") as server:
        kb_id = cli_json(server, "kb", "create", "gone")["id"]
    registry = Registry(home / "kb" / "registry.sqlite")
    missing = str(tmp_path / "no-such-folder")
    registry.save_ingestion(Ingestion("RUNDIEDMID02", kb_id, missing, "IN_PROGRESS", {}, None, 1.0))
    registry.close()
    with start_server(home=home, models_dir=models_dir, profile="tiny") as server:
        run = httpx.get(f"{server.url}/v1/knowledge-bases/{kb_id}/ingestions/RUNDIEDMID02", timeout=10).json()
    assert run["status"] == "FAILED" and run["error"].startswith("could not resume after a restart")
