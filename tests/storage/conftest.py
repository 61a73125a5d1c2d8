"""Stores under test: a local folder, an S3 bucket's root, and a prefix inside a bucket on a real SeaweedFS."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from outcrop.storage import ArtifactStore, S3Config, open_store
from support.s3_local import LocalS3

# Objects beside the store's root that no store operation may see or touch.
DECOYS = ("outside.mp4", "runs/2024-old/output.mp4")


@pytest.fixture(scope="session")
def s3_config(s3_server: LocalS3) -> S3Config:
    return S3Config(endpoint_url=s3_server.endpoint, access_key_id=s3_server.key, secret_access_key=s3_server.secret)


@pytest.fixture
def bucket(s3_server: LocalS3) -> str:
    """A fresh, empty bucket per test."""
    name = f"t-{uuid.uuid4().hex[:16]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3-bucket-root", "s3-prefixed"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        for key in DECOYS:
            (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / key).write_bytes(b"decoy")
        return open_store(str(tmp_path / "runs" / "2024"), S3Config())
    bucket = request.getfixturevalue("bucket")
    config = request.getfixturevalue("s3_config")
    if request.param == "s3-bucket-root":
        return open_store(f"s3://{bucket}", config)
    client = request.getfixturevalue("s3_server").client()
    for key in DECOYS:
        client.put_object(Bucket=bucket, Key=key, Body=b"decoy")
    return open_store(f"s3://{bucket}/runs/2024", config)
