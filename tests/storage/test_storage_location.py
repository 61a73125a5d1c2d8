"""Parsing artifact location URIs, and open_store building the matching store."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcrop.errors import ValidationError
from outcrop.storage import LocalLocation, LocalStore, S3Config, S3Location, S3Store, open_store, parse_location


@pytest.mark.parametrize(
    ("uri", "bucket", "prefix"),
    [
        ("s3://videos", "videos", ""),
        ("s3://videos/", "videos", ""),
        ("s3://my.videos-1/jobs", "my.videos-1", "jobs/"),
        ("s3://abc/runs/2024/", "abc", "runs/2024/"),
        ("S3://abc/runs", "abc", "runs/"),
        ("  s3://abc  ", "abc", ""),
        ("s3://" + "a" * 63, "a" * 63, ""),
    ],
)
def test_s3_locations(uri: str, bucket: str, prefix: str):
    assert parse_location(uri) == S3Location(bucket, prefix)


@pytest.mark.parametrize(
    "uri",
    ["s3://", "s3:///prefix", "s3://ab", "s3://" + "a" * 64, "s3://Videos", "s3://my_videos", "s3://-videos",
     "s3://videos-", "s3://my..videos", "s3://192.168.1.10", "s3://vid eos"],
)  # fmt: skip
def test_bad_bucket_names(uri: str):
    with pytest.raises(ValidationError, match="not a valid S3 bucket name"):
        parse_location(uri)


@pytest.mark.parametrize("uri", ["s3://videos/a//b", "s3://videos/../x", "s3://videos/a/./b"])
def test_bad_s3_prefixes(uri: str):
    with pytest.raises(ValidationError, match="prefix"):
        parse_location(uri)


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("file:///srv/outcrop/videos", "/srv/outcrop/videos"),
        ("file://localhost/srv/videos/", "/srv/videos"),
        ("file:///srv/my%20videos", "/srv/my videos"),
        ("/srv/videos", "/srv/videos"),
    ],
)
def test_local_locations(uri: str, path: str):
    assert parse_location(uri) == LocalLocation(Path(path))


def test_a_relative_path_is_a_folder_under_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert parse_location("out/videos") == LocalLocation(tmp_path / "out" / "videos")
    assert parse_location("./videos") == LocalLocation(tmp_path / "videos")


def test_a_home_path_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_location("~/videos") == LocalLocation(tmp_path / "videos")


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("file://srv/videos", "three slashes"),
        ("file://otherhost/srv/videos", "three slashes"),
        ("file:/srv/videos", "missing '//'"),
        ("s3:videos", "missing '//'"),
        ("http://example.com/videos", "unsupported scheme 'http:'"),
        ("gs://videos", "unsupported scheme 'gs:'"),
    ],
)
def test_other_forms_are_refused_with_the_accepted_ones(uri: str, reason: str):
    with pytest.raises(ValidationError, match=reason) as caught:
        parse_location(uri)
    if reason != "empty":
        assert uri.strip() in caught.value.message
    assert "s3://bucket/prefix" in caught.value.message
    assert "file:///absolute/folder" in caught.value.message


def test_open_store_picks_the_store(tmp_path: Path):
    config = S3Config(endpoint_url="http://127.0.0.1:9", access_key_id="k", secret_access_key="s")
    s3 = open_store("s3://videos/runs/", config)
    assert isinstance(s3, S3Store)
    assert s3.root == "s3://videos/runs"
    assert s3.uri("job1/output.mp4") == "s3://videos/runs/job1/output.mp4"
    assert open_store("s3://videos", config).root == "s3://videos"
    local = open_store(tmp_path.as_uri(), config)
    assert isinstance(local, LocalStore)
    assert local.root == tmp_path.as_uri()
    assert open_store(str(tmp_path), config).root == tmp_path.as_uri()


def test_open_store_does_not_touch_the_location(tmp_path: Path):
    open_store(str(tmp_path / "later"), S3Config())
    assert not (tmp_path / "later").exists()
