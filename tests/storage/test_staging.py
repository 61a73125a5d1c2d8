"""Committing a job's staged files: only final files ever sit under the job's folder, manifest last."""

from __future__ import annotations

import pytest

from outcrop.errors import ResourceNotFoundError, ValidationError
from outcrop.storage import ArtifactStore, commit_staged, staging_prefix_for

NAMES = ["output.mp4", "shot_0001.mp4", "shot_0002.mp4", "manifest.json"]  # the caller's order: manifest last
FINAL = ["job1/manifest.json", "job1/output.mp4", "job1/shot_0001.mp4", "job1/shot_0002.mp4"]


def stage(store: ArtifactStore, attempt: int = 0) -> str:
    staging = staging_prefix_for("job1", attempt)
    for name in NAMES:
        store.put(staging + name, f"{name}@{attempt}".encode(), "application/octet-stream")
    return staging


def first_video(store: ArtifactStore, job_id: str) -> str:
    """What the Bedrock workshop does: list under the job id and take the first key ending in .mp4."""
    return next(key for key in store.list(job_id) if key.endswith(".mp4"))


def test_the_staging_prefix_is_outside_the_job_folder():
    assert staging_prefix_for("job1", 0) == ".outcrop-staging/job1/0/"
    assert not staging_prefix_for("job1", 3).startswith("job1")
    assert not staging_prefix_for("job1", 10).startswith(staging_prefix_for("job1", 1))


@pytest.mark.parametrize(("job_id", "attempt"), [("", 0), ("a/b", 0), ("..", 0), ("job1", -1)])
def test_bad_staging_arguments(job_id: str, attempt: int):
    with pytest.raises(ValidationError):
        staging_prefix_for(job_id, attempt)


def test_staged_files_stay_out_of_the_job_folder_until_committed(store: ArtifactStore):
    staging = stage(store)
    assert store.list("job1") == []
    commit_staged(store, staging, "job1/", NAMES)
    assert store.list("job1") == FINAL
    assert store.list(staging) == []
    assert store.list() == FINAL
    assert first_video(store, "job1") == "job1/output.mp4"
    assert store.get("job1/manifest.json") == b"manifest.json@0"


def test_the_manifest_is_copied_last(store: ArtifactStore, monkeypatch: pytest.MonkeyPatch):
    staging = stage(store)
    copy = store.copy
    seen: list[tuple[str, list[str]]] = []

    def recording_copy(src_key: str, dst_key: str) -> None:
        seen.append((dst_key, store.list("job1/")))
        copy(src_key, dst_key)

    monkeypatch.setattr(store, "copy", recording_copy)
    commit_staged(store, staging, "job1/", NAMES)
    assert [dst for dst, _ in seen] == [f"job1/{name}" for name in NAMES]
    assert seen[-1][1] == ["job1/output.mp4", "job1/shot_0001.mp4", "job1/shot_0002.mp4"]  # all else in place


def test_a_rerun_after_a_crash_between_copies_finishes(store: ArtifactStore, monkeypatch: pytest.MonkeyPatch):
    staging = stage(store)
    copy = store.copy
    done: list[str] = []

    def crash_after_two(src_key: str, dst_key: str) -> None:
        if len(done) == 2:
            raise OSError("simulated crash")
        copy(src_key, dst_key)
        done.append(dst_key)

    monkeypatch.setattr(store, "copy", crash_after_two)
    with pytest.raises(OSError, match="simulated"):
        commit_staged(store, staging, "job1/", NAMES)
    assert store.list("job1") == ["job1/output.mp4", "job1/shot_0001.mp4"]  # no manifest: visibly incomplete
    assert len(store.list(staging)) == len(NAMES)
    monkeypatch.undo()
    commit_staged(store, staging, "job1/", NAMES)
    assert store.list("job1") == FINAL
    assert store.list(".outcrop-staging/") == []


def test_a_rerun_after_a_crash_while_deleting_staging_finishes(store: ArtifactStore):
    staging = stage(store)
    commit_staged(store, staging, "job1/", NAMES)
    staging = stage(store)
    # The crash hit the final delete: some staged files are gone, the others remain.
    store.delete_prefix(staging + "manifest.json")
    store.delete_prefix(staging + "shot_0001.mp4")
    commit_staged(store, staging, "job1/", NAMES)
    assert store.list("job1") == FINAL
    assert store.list(".outcrop-staging/") == []


def test_a_retry_commits_its_own_attempt(store: ArtifactStore):
    stage(store, attempt=1)
    staging = stage(store, attempt=10)
    commit_staged(store, staging, "job1/", NAMES)
    assert store.get("job1/output.mp4") == b"output.mp4@10"
    assert len(store.list(staging_prefix_for("job1", 1))) == len(NAMES)  # `.../1/` is not a prefix of `.../10/`


def test_a_name_never_staged_is_an_error(store: ArtifactStore):
    staging = stage(store)
    with pytest.raises(ResourceNotFoundError, match="never staged"):
        commit_staged(store, staging, "job1/", ["output.mp4", "missing.mp4", "manifest.json"])
    assert not store.exists("job1/manifest.json")
    assert len(store.list(staging)) == len(NAMES)


@pytest.mark.parametrize(("staging", "final"), [(".outcrop-staging/job1/0", "job1/"), ("", "job1/"),
                                                (".outcrop-staging/job1/0/", "job1"), ("/x/", "job1/")])  # fmt: skip
def test_prefixes_must_be_folders(store: ArtifactStore, staging: str, final: str):
    with pytest.raises(ValidationError):
        commit_staged(store, staging, final, NAMES)
