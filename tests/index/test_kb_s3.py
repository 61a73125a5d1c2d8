"""Ingesting an s3:// prefix from a real S3-compatible server (SeaweedFS), then Retrieve returning S3 locations."""

from __future__ import annotations

import base64
import io
import json

from click.testing import CliRunner
from PIL import Image

from outcrop.backends import registry
from outcrop.cli.main import cli
from support.double_embedder import OVERLAY
from support.live_server import start_server


def png(hexa: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#" + hexa).save(buffer, format="PNG")
    return buffer.getvalue()


def test_ingest_an_s3_prefix(s3_server, tmp_path, models_dir, monkeypatch):
    bucket = s3_server.client()
    bucket.create_bucket(Bucket="catalog")
    for hexa in ("ff0000", "00ff00"):
        bucket.put_object(Bucket="catalog", Key=f"shoes/{hexa}.png", Body=png(hexa))
    meta = {"metadataAttributes": {"category": "shoes"}}
    bucket.put_object(Bucket="catalog", Key="shoes/ff0000.png.metadata.json", Body=json.dumps(meta).encode())
    bucket.put_object(Bucket="catalog", Key="other/0000ff.png", Body=png("0000ff"))  # outside the prefix

    (tmp_path / "catalog.toml").write_text(OVERLAY)
    monkeypatch.setitem(registry.BACKENDS, "double-embedder", "support.double_embedder:load")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret)
    with start_server(
        home=tmp_path, models_dir=models_dir, profile="tiny", s3_endpoint_url=s3_server.endpoint
    ) as server:
        runner = CliRunner()
        kb_id = runner.invoke(cli, ["--url", server.url, "kb", "create", "s3kb"]).stdout.strip()
        result = runner.invoke(cli, ["--url", server.url, "kb", "ingest", kb_id, "s3://catalog/shoes/", "--json"])
        assert json.loads(result.stdout)["report"]["added"] == 2, result.output
        agent = server.client("bedrock-agent-runtime")
        top = agent.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": "colour:ff0000"})["retrievalResults"][0]
    assert top["location"] == {"type": "S3", "s3Location": {"uri": "s3://catalog/shoes/ff0000.png"}}
    assert top["metadata"]["category"] == "shoes"
    image = Image.open(io.BytesIO(base64.b64decode(top["content"]["byteContent"].split(",", 1)[1])))
    assert image.getpixel((3, 3)) == (255, 0, 0)
