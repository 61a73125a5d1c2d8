"""s3:// knowledge-base sources reach the store the settings name (OUTCROP_S3_ENDPOINT_URL with
OUTCROP_S3_ACCESS_KEY_ID / OUTCROP_S3_SECRET_ACCESS_KEY, as job outputs do), and a prefix the server cannot list
is a 400 saying what to fix, never a 500."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from support.live_server import start_server


@pytest.fixture
def server(s3_server, tmp_path, models_dir, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "not-the-store's-key")  # only the OUTCROP_S3_* settings can work
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-store's-secret")
    with start_server(home=tmp_path, models_dir=models_dir, profile="tiny", s3_endpoint_url=s3_server.endpoint,
                      s3_access_key_id=s3_server.key, s3_secret_access_key=s3_server.secret) as live:  # fmt: skip
        yield live


def ingest(url: str, source: str) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=60) as http:
        kb = http.post("/v1/knowledge-bases", json={"name": "s3-settings"}).raise_for_status().json()
        return http.post(f"/v1/knowledge-bases/{kb['id']}/ingestions", json={"source": source})


def test_the_s3_settings_reach_the_store(server, s3_server):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 20, 20)).save(buffer, format="PNG")
    s3_server.client().create_bucket(Bucket="kb-settings")
    s3_server.client().put_object(Bucket="kb-settings", Key="shoes/red.png", Body=buffer.getvalue())
    started = ingest(server.url, "s3://kb-settings/shoes/")
    assert started.status_code == 202, started.text
    assert started.json()["report"]["total"] == 1  # listed with the settings' keys


def test_a_bucket_that_cannot_be_listed_is_a_validation_error(server):
    refused = ingest(server.url, "s3://no-such-bucket-here/shoes/")
    assert refused.status_code == 400, refused.text
    assert refused.json()["__type"] == "ValidationException"
    assert "Cannot list s3://no-such-bucket-here/shoes/" in refused.json()["message"]
    assert "OUTCROP_S3_ACCESS_KEY_ID" in refused.json()["message"]
