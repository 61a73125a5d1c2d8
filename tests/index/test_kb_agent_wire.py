"""The bedrock-agent control plane through unmodified boto3: a knowledge base with two S3 data sources on a real
S3-compatible server (SeaweedFS), ingestion jobs with Bedrock's statistics and failure reasons, listing, deleting.

Embeddings come from the deterministic test double (tests/support/double_embedder.py)."""

from __future__ import annotations

import io
import time
import uuid

import pytest
from PIL import Image

from outcrop.backends import registry
from support.double_embedder import OVERLAY
from support.live_server import start_server

MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-image-v1"
ROLE = "arn:aws:iam::123456789012:role/kb-role"
BUCKET = f"kb-agent-{uuid.uuid4().hex[:10]}"  # the S3 server is shared by the session: a name of its own


def png(hexa: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#" + hexa).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(s3_server, tmp_path_factory, models_dir):
    home = tmp_path_factory.mktemp("agent-home")
    (home / "catalog.toml").write_text(OVERLAY)
    bucket = s3_server.client()
    bucket.create_bucket(Bucket=BUCKET)
    for key, hexa in (("shoes/ff0000.png", "ff0000"), ("shoes/00ff00.png", "00ff00"), ("hats/0000ff.png", "0000ff")):
        bucket.put_object(Bucket=BUCKET, Key=key, Body=png(hexa))
    bucket.put_object(Bucket=BUCKET, Key="hats/broken.png", Body=b"\x89PNG\r\n\x1a\nbroken")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry.BACKENDS, "double-embedder", "support.double_embedder:load")
        patch.setenv("AWS_ACCESS_KEY_ID", s3_server.key)
        patch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret)
        with start_server(home=home, models_dir=models_dir, profile="tiny", s3_endpoint_url=s3_server.endpoint) as live:
            yield live


def create_kb(agent, name: str, dimensions: int = 256) -> str:
    config = {"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
        "embeddingModelArn": MODEL_ARN,
        "embeddingModelConfiguration": {"bedrockEmbeddingModelConfiguration": {"dimensions": dimensions}}}}  # fmt: skip
    storage = {"type": "OPENSEARCH_SERVERLESS", "opensearchServerlessConfiguration": {
        "collectionArn": "arn:aws:aoss:us-east-1:123456789012:collection/x", "vectorIndexName": "i",
        "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"}}}  # fmt: skip
    reply = agent.create_knowledge_base(name=name, roleArn=ROLE, knowledgeBaseConfiguration=config,
                                        storageConfiguration=storage)  # fmt: skip
    kb = reply["knowledgeBase"]
    assert (kb["status"], kb["roleArn"], kb["storageConfiguration"]) == ("ACTIVE", ROLE, storage)
    return kb["knowledgeBaseId"]


def s3_source(agent, kb_id: str, name: str, prefix: str) -> str:
    config = {"type": "S3", "s3Configuration": {"bucketArn": f"arn:aws:s3:::{BUCKET}", "inclusionPrefixes": [prefix]}}
    reply = agent.create_data_source(knowledgeBaseId=kb_id, name=name, dataSourceConfiguration=config)
    assert reply["dataSource"]["dataSourceConfiguration"] == config
    return reply["dataSource"]["dataSourceId"]


def run_job(agent, kb_id: str, source_id: str) -> dict:
    job = agent.start_ingestion_job(knowledgeBaseId=kb_id, dataSourceId=source_id)["ingestionJob"]
    deadline = time.monotonic() + 60
    while job["status"] in ("STARTING", "IN_PROGRESS") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = agent.get_ingestion_job(knowledgeBaseId=kb_id, dataSourceId=source_id,
                                      ingestionJobId=job["ingestionJobId"])["ingestionJob"]  # fmt: skip
    return job


def found(server, kb_id: str, text: str) -> list[str]:
    runtime = server.client("bedrock-agent-runtime")
    hits = runtime.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": text})["retrievalResults"]
    return [hit["location"]["s3Location"]["uri"] for hit in hits]


def test_two_s3_data_sources_ingest_through_boto3(server):
    agent = server.client("bedrock-agent")
    kb_id = create_kb(agent, "shop")
    shoes, hats = s3_source(agent, kb_id, "shoes", "shoes/"), s3_source(agent, kb_id, "hats", "hats/")

    first = run_job(agent, kb_id, shoes)
    assert first["status"] == "COMPLETE"
    assert first["statistics"]["numberOfNewDocumentsIndexed"] == 2
    second = run_job(agent, kb_id, hats)
    assert second["status"] == "COMPLETE"
    stats = second["statistics"]
    assert (
        stats["numberOfDocumentsScanned"],
        stats["numberOfNewDocumentsIndexed"],
        stats["numberOfDocumentsFailed"],
    ) == (2, 1, 1)
    assert second["failureReasons"][0].startswith(f"s3://{BUCKET}/hats/broken.png")
    assert set(found(server, kb_id, "colour:ff0000")) == {
        f"s3://{BUCKET}/shoes/{c}.png" for c in ("ff0000", "00ff00")
    } | {f"s3://{BUCKET}/hats/0000ff.png"}

    again = run_job(agent, kb_id, shoes)["statistics"]
    assert (again["numberOfNewDocumentsIndexed"], again["numberOfDocumentsDeleted"]) == (0, 0)
    jobs = agent.list_ingestion_jobs(knowledgeBaseId=kb_id, dataSourceId=shoes,
                                     sortBy={"attribute": "STARTED_AT", "order": "DESCENDING"})["ingestionJobSummaries"]  # fmt: skip
    assert [job["ingestionJobId"] for job in jobs][1] == first["ingestionJobId"]
    names = {s["name"] for s in agent.list_data_sources(knowledgeBaseId=kb_id)["dataSourceSummaries"]}
    assert names == {"shoes", "hats"}

    agent.delete_data_source(knowledgeBaseId=kb_id, dataSourceId=hats)
    assert f"s3://{BUCKET}/hats/0000ff.png" not in found(server, kb_id, "colour:0000ff")
    assert len(found(server, kb_id, "colour:0000ff")) == 2
    with pytest.raises(agent.exceptions.ResourceNotFoundException):
        agent.get_data_source(knowledgeBaseId=kb_id, dataSourceId=hats)


def test_knowledge_bases_list_get_and_delete(server):
    agent = server.client("bedrock-agent")
    kb_id = create_kb(agent, "listed")
    got = agent.get_knowledge_base(knowledgeBaseId=kb_id)["knowledgeBase"]
    assert got["knowledgeBaseArn"].endswith(f":knowledge-base/{kb_id}")
    pages = agent.get_paginator("list_knowledge_bases").paginate(PaginationConfig={"PageSize": 1})
    assert kb_id in {s["knowledgeBaseId"] for page in pages for s in page["knowledgeBaseSummaries"]}
    agent.delete_knowledge_base(knowledgeBaseId=kb_id)
    with pytest.raises(agent.exceptions.ResourceNotFoundException):
        agent.get_knowledge_base(knowledgeBaseId=kb_id)


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (
            {
                "type": "WEB",
                "webConfiguration": {
                    "sourceConfiguration": {"urlConfiguration": {"seedUrls": [{"url": "https://example.com"}]}}
                },
            },
            "send type S3",
        ),
        (
            {
                "type": "S3",
                "s3Configuration": {"bucketArn": f"arn:aws:s3:::{BUCKET}", "inclusionPrefixes": ["a/", "b/"]},
            },
            "inclusionPrefixes",
        ),
    ],
)
def test_unsupported_data_sources_are_refused_with_what_to_send(server, config, says):
    agent = server.client("bedrock-agent")
    kb_id = create_kb(agent, f"refuse-{len(says)}")
    with pytest.raises(agent.exceptions.ValidationException, match=says):
        agent.create_data_source(knowledgeBaseId=kb_id, name="bad", dataSourceConfiguration=config)


def test_bad_chunking_and_unknown_models_are_validation_errors(server):
    agent = server.client("bedrock-agent")
    kb_id = create_kb(agent, "chunky")
    config = {"type": "S3", "s3Configuration": {"bucketArn": f"arn:aws:s3:::{BUCKET}"}}
    with pytest.raises(agent.exceptions.ValidationException, match="FIXED_SIZE, HIERARCHICAL or NONE"):
        agent.create_data_source(knowledgeBaseId=kb_id, name="semantic", dataSourceConfiguration=config,
                                 vectorIngestionConfiguration={"chunkingConfiguration": {"chunkingStrategy": "SEMANTIC"}})  # fmt: skip
    bad = {
        "type": "VECTOR",
        "vectorKnowledgeBaseConfiguration": {
            "embeddingModelArn": "arn:aws:bedrock:us-east-1::foundation-model/no.such-model-v1:0"
        },
    }
    with pytest.raises(agent.exceptions.ValidationException):
        agent.create_knowledge_base(name="nomodel", roleArn=ROLE, knowledgeBaseConfiguration=bad)
