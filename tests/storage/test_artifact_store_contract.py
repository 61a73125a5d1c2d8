"""One contract for every ArtifactStore: a local folder, an S3 bucket's root, and a prefix inside a bucket."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.config import Config

from outcrop.errors import ResourceNotFoundError, ValidationError
from outcrop.storage import ArtifactStore, LocalStore, S3Config, S3Store
from outcrop.storage.s3 import MULTIPART_THRESHOLD
from support.live_server import free_port
from support.s3_local import LocalS3

BIG = MULTIPART_THRESHOLD + 1024 * 1024 + 123  # ~9 MB: past the multipart threshold, not a multiple of a part
BAD_KEYS = ["", "/abs", "a//b", "../x", "a/../b", "a/", ".", "a/./b", "nul\x00byte"]


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.mp4"
    path.write_bytes(os.urandom(BIG))
    return path


def test_bytes_round_trip(store: ArtifactStore, tmp_path: Path):
    store.put("job1/manifest.json", b'{"ok": true}', "application/json")
    assert store.get("job1/manifest.json") == b'{"ok": true}'
    assert store.exists("job1/manifest.json")
    store.download("job1/manifest.json", tmp_path / "out" / "manifest.json")
    assert (tmp_path / "out" / "manifest.json").read_bytes() == b'{"ok": true}'


def test_path_round_trip(store: ArtifactStore, tmp_path: Path):
    source = tmp_path / "shot.mp4"
    source.write_bytes(b"\x00\x00\x00\x18ftypmp42" * 100)
    store.put("job1/shot_0001.mp4", source, "video/mp4")
    assert store.get("job1/shot_0001.mp4") == source.read_bytes()


def test_a_file_past_the_multipart_threshold(store: ArtifactStore, big_file: Path, tmp_path: Path):
    store.put("job1/output.mp4", big_file, "video/mp4")
    store.download("job1/output.mp4", tmp_path / "back.mp4")
    assert (tmp_path / "back.mp4").read_bytes() == big_file.read_bytes()
    store.copy("job1/output.mp4", "job2/output.mp4")
    assert store.get("job2/output.mp4") == big_file.read_bytes()


def test_put_replaces(store: ArtifactStore):
    store.put("a.txt", b"old", "text/plain")
    store.put("a.txt", b"new, and longer", "text/plain")
    assert store.get("a.txt") == b"new, and longer"
    assert store.list() == ["a.txt"]


def test_list_is_sorted_and_matches_a_prefix_as_a_string(store: ArtifactStore):
    for key in ("b/2.mp4", "a/10.mp4", "ab/x.json", "a/1.mp4", "c.json", "a/deep/er/z.mp4"):
        store.put(key, key.encode(), "application/octet-stream")
    assert store.list() == ["a/1.mp4", "a/10.mp4", "a/deep/er/z.mp4", "ab/x.json", "b/2.mp4", "c.json"]
    assert store.list("a/") == ["a/1.mp4", "a/10.mp4", "a/deep/er/z.mp4"]
    assert store.list("a") == ["a/1.mp4", "a/10.mp4", "a/deep/er/z.mp4", "ab/x.json"]  # S3 semantics
    assert store.list("a/1") == ["a/1.mp4", "a/10.mp4"]
    assert store.list("a/deep/") == ["a/deep/er/z.mp4"]
    assert store.list("nothing/") == []
    assert store.list("c.json/") == []


def test_an_empty_store_lists_nothing(store: ArtifactStore):
    assert store.list() == []  # the decoys beside the root stay out of view


def test_copy(store: ArtifactStore):
    store.put("staged/output.mp4", b"video", "video/mp4")
    store.put("final/output.mp4", b"stale", "video/mp4")
    store.copy("staged/output.mp4", "final/output.mp4")
    assert store.get("final/output.mp4") == b"video"
    assert store.get("staged/output.mp4") == b"video"
    with pytest.raises(ResourceNotFoundError):
        store.copy("staged/missing.mp4", "final/missing.mp4")
    assert not store.exists("final/missing.mp4")


def test_delete_prefix(store: ArtifactStore):
    for key in ("job1/output.mp4", "job1/shots/shot_0001.mp4", "job10/output.mp4", "job2/output.mp4"):
        store.put(key, b"x", "video/mp4")
    assert store.delete_prefix("job1/") == 2
    assert store.list() == ["job10/output.mp4", "job2/output.mp4"]
    assert store.delete_prefix("job1/") == 0
    with pytest.raises(ValidationError, match="empty prefix"):
        store.delete_prefix("")
    assert store.delete_prefix("job") == 2
    assert store.list() == []


def test_delete_prefix_leaves_what_is_beside_the_root(store: ArtifactStore, s3_server: LocalS3):
    store.put("x", b"x", "text/plain")
    store.delete_prefix("x")
    assert store.list() == []
    if isinstance(store, S3Store) and store.root.count("/") > 2:  # the prefixed store, with its decoys
        bucket = store.root.split("/")[2]
        keys = [item["Key"] for item in s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]]
        assert keys == ["outside.mp4", "runs/2024-old/output.mp4"]
    if isinstance(store, LocalStore):
        outside = Path(store.root.removeprefix("file://")).parent.parent
        assert (outside / "outside.mp4").is_file()
        assert (outside / "runs" / "2024-old" / "output.mp4").is_file()


def test_a_missing_key(store: ArtifactStore, tmp_path: Path):
    assert not store.exists("job1/output.mp4")
    with pytest.raises(ResourceNotFoundError, match=r"job1/output\.mp4"):
        store.get("job1/output.mp4")
    with pytest.raises(ResourceNotFoundError):
        store.download("job1/output.mp4", tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_refused(store: ArtifactStore, key: str):
    with pytest.raises(ValidationError):
        store.put(key, b"x", "text/plain")
    with pytest.raises(ValidationError):
        store.get(key)
    with pytest.raises(ValidationError):
        store.exists(key)
    with pytest.raises(ValidationError):
        store.copy(key, "fine")
    with pytest.raises(ValidationError):
        store.uri(key)


@pytest.mark.parametrize("prefix", ["/abs", "../", "a//", "a/../"])
def test_bad_prefixes_are_refused(store: ArtifactStore, prefix: str):
    with pytest.raises(ValidationError):
        store.list(prefix)
    with pytest.raises(ValidationError):
        store.delete_prefix(prefix)


def test_root_and_uri(store: ArtifactStore):
    assert store.root.startswith(("s3://", "file:///"))
    assert not store.root.endswith("/")
    assert store.uri("job1/output.mp4") == store.root + "/job1/output.mp4"


def test_check_passes_on_a_usable_location(store: ArtifactStore):
    store.check()


# Store-specific behaviour the contract leaves open.


def test_a_missing_bucket_says_what_to_fix(s3_config: S3Config):
    store = S3Store("no-such-bucket", "videos/", s3_config)
    with pytest.raises(ValidationError) as caught:
        store.check()
    message = caught.value.message
    assert "no-such-bucket" in message
    assert s3_config.endpoint_url is not None
    assert s3_config.endpoint_url in message
    assert "the bucket does not exist" in message
    assert "Create the bucket" in message
    assert "OUTCROP_S3_ENDPOINT_URL" in message


def test_wrong_credentials_say_what_to_fix(s3_config: S3Config, bucket: str):
    config = S3Config(endpoint_url=s3_config.endpoint_url, access_key_id="outcrop-test", secret_access_key="wrong")
    with pytest.raises(ValidationError, match=r"access denied.*OUTCROP_S3_ENDPOINT_URL and the S3 credentials"):
        S3Store(bucket, "", config).check()


def test_an_unreachable_endpoint_says_what_to_fix():
    import boto3

    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    config = S3Config(endpoint_url=endpoint, access_key_id="k", secret_access_key="s")
    # One attempt only: botocore's default retries would spend seconds backing off on a refused connection.
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="k",
                          aws_secret_access_key="s", config=Config(retries={"total_max_attempts": 1}))  # fmt: skip
    with pytest.raises(ValidationError, match=rf"'artifacts' at {endpoint}.*OUTCROP_S3_ENDPOINT_URL"):
        S3Store("artifacts", "", config, client=client).check()


def test_s3_keeps_the_content_type_through_a_multipart_copy(
    s3_config: S3Config, s3_server: LocalS3, bucket: str, big_file: Path
):
    store = S3Store(bucket, "videos", s3_config)
    store.put("job1/output.mp4", big_file, "video/mp4")
    store.copy("job1/output.mp4", "job2/output.mp4")
    store.put("job1/manifest.json", b"{}", "application/json")
    head = s3_server.client().head_object
    assert head(Bucket=bucket, Key="videos/job2/output.mp4")["ContentType"] == "video/mp4"
    assert head(Bucket=bucket, Key="videos/job1/manifest.json")["ContentType"] == "application/json"


def test_s3_deletes_more_than_one_batch(s3_config: S3Config, s3_server: LocalS3, bucket: str):
    client = s3_server.client()
    keys = [f"videos/job1/frame_{index:04d}.png" for index in range(1001)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=b"x"), keys))
    client.put_object(Bucket=bucket, Key="videos/job2/output.mp4", Body=b"x")
    store = S3Store(bucket, "videos/", s3_config)
    assert len(store.list("job1/")) == 1001
    assert store.delete_prefix("job1/") == 1001
    assert store.list() == ["job2/output.mp4"]


def test_a_local_location_that_cannot_be_a_folder(tmp_path: Path):
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(ValidationError, match="Cannot write artifacts to the folder"):
        LocalStore(tmp_path / "file" / "videos").check()


def test_an_interrupted_local_put_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = LocalStore(tmp_path)
    store.put("job1/output.mp4", b"old", "video/mp4")

    def crash(*_: object) -> None:
        raise OSError("simulated crash during the rename")

    monkeypatch.setattr("outcrop.storage.local.os.replace", crash)
    with pytest.raises(OSError, match="simulated"):
        store.put("job1/output.mp4", b"new", "video/mp4")
    with pytest.raises(OSError, match="simulated"):
        store.put("job1/shot_0001.mp4", b"new", "video/mp4")
    monkeypatch.undo()
    assert store.get("job1/output.mp4") == b"old"
    assert not store.exists("job1/shot_0001.mp4")
    assert store.list() == ["job1/output.mp4"]
    assert list((tmp_path / ".outcrop-tmp").iterdir()) == []
    assert sorted(path.name for path in (tmp_path / "job1").iterdir()) == ["output.mp4"]


def test_local_writes_stay_out_of_view_and_readable(tmp_path: Path):
    store = LocalStore(tmp_path)
    store.put("job1/output.mp4", b"v", "video/mp4")
    assert (tmp_path / ".outcrop-tmp").is_dir()
    assert store.list() == ["job1/output.mp4"]
    assert store.list(".outcrop-tmp/") == []
    assert stat.S_IMODE((tmp_path / "job1" / "output.mp4").stat().st_mode) == 0o644
    with pytest.raises(ValidationError, match="partial writes"):
        store.put(".outcrop-tmp/x", b"x", "text/plain")


def test_local_delete_prefix_removes_emptied_folders(tmp_path: Path):
    store = LocalStore(tmp_path / "root")
    store.put("job1/shots/shot_0001.mp4", b"x", "video/mp4")
    store.put("job2/output.mp4", b"x", "video/mp4")
    store.delete_prefix("job1/")
    assert sorted(path.name for path in (tmp_path / "root").iterdir()) == [".outcrop-tmp", "job2"]
