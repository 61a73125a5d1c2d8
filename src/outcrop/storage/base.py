"""The ArtifactStore protocol: where job outputs go (a local folder or any S3-compatible bucket).

Keys are relative to the store's root location and use `/`. A reader never sees part of an object: `put` is
atomic per key, and a job's files are written under a staging prefix first and committed with `commit_staged`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class ArtifactStore(Protocol):
    @property
    def root(self) -> str:
        """The location this store writes under, as a URI (`s3://bucket/prefix` or `file:///abs/dir`)."""
        ...

    def uri(self, key: str) -> str: ...

    def check(self) -> None:
        """Raise ValidationError saying what to fix when the location cannot be written (no such bucket, ...)."""
        ...

    def put(self, key: str, source: bytes | Path, content_type: str) -> None:
        """Write `source` at `key`, replacing what was there; atomic: readers see the old object or the new one."""
        ...

    def get(self, key: str) -> bytes:
        """The object's bytes; ResourceNotFoundError if there is none."""
        ...

    def download(self, key: str, dest: Path) -> None: ...

    def copy(self, src_key: str, dst_key: str) -> None:
        """Server-side where the store can; atomic at `dst_key` like put."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> list[str]:
        """Keys under `prefix`, sorted."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every key under `prefix`; returns how many. An empty prefix is refused (ValidationError)."""
        ...
