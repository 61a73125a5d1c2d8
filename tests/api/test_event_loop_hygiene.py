"""No route blocks the event loop: with OUTCROP_CHECK_EVENT_LOOP on, every SQLite statement, boto3 call and
vector-index search made on the loop's thread is recorded (outcrop/loop_guard.py). A workload over the routes that
touch those (knowledge bases, Retrieve, S3 Vectors, async jobs, review, embeddings) must record none."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from PIL import Image

from outcrop import loop_guard
from outcrop.cli.main import cli
from support import double_embedder

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(scope="module")
def guarded(tmp_path_factory, models_dir):
    home = tmp_path_factory.mktemp("loop-guard-home")
    with double_embedder.serving(home, models_dir, check_event_loop=True) as server:
        yield server


def test_the_guard_sees_a_blocking_call_on_the_loop():
    import asyncio
    import sqlite3

    loop_guard.enable()
    try:
        connection = sqlite3.connect(":memory:")
        loop_guard.watch_sqlite(connection)
        loop_guard.clear()
        connection.execute("SELECT 1")  # off the loop: fine
        assert loop_guard.violations() == []

        async def on_loop() -> None:
            connection.execute("SELECT 2")

        asyncio.run(on_loop())
        assert loop_guard.violations() == ["SQLite: SELECT 2"]
    finally:
        loop_guard.clear()


def cli_json(server, *args: str) -> dict:
    result = CliRunner().invoke(cli, ["--url", server.url, *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_knowledge_base_routes_keep_sql_and_search_off_the_loop(guarded, tmp_path):
    for colour in ("red", "blue"):
        Image.new("RGB", (48, 48), colour).save(tmp_path / f"{colour}.png")
    (tmp_path / "notes.txt").write_text("colour:ff0000")
    loop_guard.clear()
    kb_id = cli_json(guarded, "kb", "create", "hygiene")["id"]
    assert cli_json(guarded, "kb", "ingest", kb_id, str(tmp_path))["status"] == "COMPLETE"
    cli_json(guarded, "kb", "search", kb_id, "--text", "colour:0000ff")
    cli_json(guarded, "kb", "list")
    agent = guarded.client("bedrock-agent")
    agent.get_knowledge_base(knowledgeBaseId=kb_id)
    agent.list_knowledge_bases()
    agent.list_data_sources(knowledgeBaseId=kb_id)
    guarded.client("bedrock-agent-runtime").retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": "colour:ff0000"})
    assert loop_guard.violations() == []


def test_s3_vectors_jobs_review_and_embeddings_keep_off_the_loop(guarded):
    loop_guard.clear()
    vectors = guarded.client("s3vectors")
    vectors.create_vector_bucket(vectorBucketName="hygiene")
    vectors.create_index(vectorBucketName="hygiene", indexName="idx", dataType="float32", dimension=4,
                         distanceMetric="cosine")  # fmt: skip
    vectors.put_vectors(vectorBucketName="hygiene", indexName="idx",
                        vectors=[{"key": "a", "data": {"float32": [1.0, 0.0, 0.0, 0.0]}}])  # fmt: skip
    vectors.query_vectors(vectorBucketName="hygiene", indexName="idx", topK=1,
                          queryVector={"float32": [1.0, 0.0, 0.0, 0.0]})  # fmt: skip
    vectors.list_vector_buckets()
    runtime = guarded.client("bedrock-runtime")
    runtime.list_async_invokes()
    body = json.dumps({"inputText": "hello"})
    runtime.invoke_model(modelId="amazon.titan-embed-image-v1", body=body)
    runtime.invoke_model(modelId="amazon.titan-embed-image-v1", body=body)  # a cache hit
    cli_json(guarded, "review", "list")
    cli_json(guarded, "video", "list")
    assert loop_guard.violations() == []
