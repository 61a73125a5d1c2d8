"""Where the server may read and write on a caller's behalf: local folders under configured roots, S3 buckets and
prefixes on an allow-list. A request naming anything else is refused with the setting that would allow it.

Unset settings mean "anywhere" only while no credentials are configured (a single-user server on loopback); once
OUTCROP_ACCESS_KEY_ID is set, unset means "nowhere", so a signed caller cannot read the server's own files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from outcrop.errors import AccessDeniedError, ValidationError


@dataclass(frozen=True)
class DataBoundaries:
    source_roots: tuple[Path, ...] | None = None  # None: any folder
    buckets: tuple[str, ...] | None = None  # "bucket" or "bucket/prefix"; None: any bucket
    own: tuple[Path, ...] = ()  # the server's own folders (job artifacts): outputs may always go there

    @classmethod
    def build(cls, roots: Sequence[Path] | None, buckets: Sequence[str] | None, locked: bool,
              own: Sequence[Path] = ()) -> DataBoundaries:  # fmt: skip
        """`locked` (credentials configured): unset lists allow nothing instead of everything."""
        resolved = None if roots is None else tuple(Path(root).expanduser().resolve() for root in roots)
        allowed = None if buckets is None else tuple(b.removeprefix("s3://").strip("/") for b in buckets)
        if locked:
            resolved, allowed = resolved or (), allowed or ()
        return cls(resolved, allowed, tuple(Path(folder).expanduser().resolve() for folder in own))

    def output(self, location: str) -> None:
        """Refuse a job outputUri or release location outside the allowed buckets, source roots and own folders."""
        if location.startswith("s3://"):
            self.s3(location)
            return
        if self.source_roots is None:
            return
        raw = unquote(urlsplit(location).path) if location.startswith("file:") else location
        resolved = Path(raw).expanduser().resolve()
        if any(resolved.is_relative_to(root) for root in (*self.source_roots, *self.own)):
            return
        folders = ", ".join(map(str, (*self.source_roots, *self.own))) or "none configured"
        raise AccessDeniedError(
            f"{location} is outside the folders this server may write ({folders}: OUTCROP_SOURCE_ROOTS and the "
            "server's artifacts folder); send an s3:// location in OUTCROP_ALLOWED_BUCKETS, or add the folder to "
            "OUTCROP_SOURCE_ROOTS on the server."
        )

    def local(self, path: str | Path) -> Path:
        """The folder or file, symlinks followed, if it lies under a source root."""
        resolved = Path(path).expanduser().resolve()
        if not self.allows_local(resolved):
            roots = ", ".join(map(str, self.source_roots or ())) or "none configured"
            raise AccessDeniedError(
                f"{path} is outside the folders this server may read (OUTCROP_SOURCE_ROOTS: {roots}); "
                "add its folder to OUTCROP_SOURCE_ROOTS on the server, or copy the files under one of them."
            )
        return resolved

    def allows_local(self, resolved: Path) -> bool:
        return self.source_roots is None or any(resolved.is_relative_to(root) for root in self.source_roots)

    def s3(self, uri: str) -> None:
        """Refuse an s3://bucket/prefix outside the allow-list."""
        if not uri.startswith("s3://"):
            raise ValidationError(f"{uri} is not an s3:// URI; send s3://bucket/prefix.")
        if self.buckets is None:
            return
        target = uri.removeprefix("s3://")
        if not any(target == entry or target.startswith(entry.rstrip("/") + "/") for entry in self.buckets):
            listed = ", ".join(self.buckets) or "none configured"
            raise AccessDeniedError(
                f"{uri} is outside the buckets this server may use (OUTCROP_ALLOWED_BUCKETS: {listed}); "
                "add the bucket (or bucket/prefix) to OUTCROP_ALLOWED_BUCKETS on the server."
            )
