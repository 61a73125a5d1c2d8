"""Fetch one weights file over HTTP(S), optionally pinned by SHA-256, resuming an interrupted download.

The bytes arrive in `<models dir>/.downloads/<key>-<file>.partial`, which outlives a failed pull. The next pull asks
only for the rest (`Range`), and only when the result can be trusted to be one file: the server named a version of
it (ETag or Last-Modified, sent back as `If-Range`, so a changed file is sent whole) or the catalog pins its SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from outcrop.catalog.sources.base import FetchError, LogFn, downloads_dir
from outcrop.catalog.sources.progress import metered, size_text

_TIMEOUT = httpx.Timeout(30.0, read=120.0)
_BLOCK = 1 << 20
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-\d+/(\d+|\*)$")


@dataclass(frozen=True)
class Partial:
    """A download in progress: the bytes so far and what the server said the file's version was."""

    data: Path
    record: Path

    def size(self) -> int:
        return self.data.stat().st_size if self.data.exists() else 0

    def validator(self) -> str | None:
        try:
            found = json.loads(self.record.read_text("utf-8")).get("validator")
        except (OSError, ValueError):
            return None
        return str(found) if found else None

    def start(self, validator: str | None) -> None:
        self.data.write_bytes(b"")
        self.record.write_text(json.dumps({"validator": validator}), "utf-8")

    def discard(self) -> None:
        self.data.unlink(missing_ok=True)
        self.record.unlink(missing_ok=True)


def fetch(params: Mapping[str, Any], dest: Path, log: LogFn) -> None:
    """Stream `params['url']` into `dest/<params['file']>`; a given `sha256` must match or nothing is kept."""
    url, name = params.get("url"), params.get("file")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise FetchError(f"url source needs an http(s) 'url' parameter, got {url!r}.")
    if not isinstance(name, str) or not name or Path(name).name != name or name in {".", ".."}:
        raise FetchError(f"url source needs a plain file name in 'file', got {name!r}.")
    expected = str(params["sha256"]).lower() if params.get("sha256") else None
    partial = _partial(dest, url, name)
    try:
        digest = _download(url, partial, log, name, resumable_unversioned=expected is not None)
        if expected is not None and digest != expected:
            partial.discard()
            raise FetchError(f"{url} has SHA-256 {digest}, expected {expected}; the file was discarded.")
        partial.data.chmod(0o644)
        partial.data.replace(dest / name)
        partial.record.unlink(missing_ok=True)
    except OSError as exc:
        raise FetchError(f"could not write {dest / name}: {exc}") from exc


def _partial(dest: Path, url: str, name: str) -> Partial:
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    folder = downloads_dir(dest)
    return Partial(folder / f"{key}-{name}.partial", folder / f"{key}-{name}.partial.json")


def _download(url: str, partial: Partial, log: LogFn, label: str, *, resumable_unversioned: bool) -> str:
    have, validator = partial.size(), partial.validator()
    if have and not (validator or resumable_unversioned):
        have = 0  # nothing says the server still has the same file: start again
    headers = {"Range": f"bytes={have}-", **({"If-Range": validator} if validator else {})} if have else {}
    log(f"downloading {url}" + (f" (resuming after {size_text(have)})" if have else ""))
    try:
        with httpx.stream("GET", url, headers=headers, follow_redirects=True, timeout=_TIMEOUT) as response:
            start = _start_at(response, have, url)
            if start is None:  # 416: what we hold is the whole file
                return _digest_of(partial.data)
            if start == 0:
                partial.start(response.headers.get("etag") or response.headers.get("last-modified"))
            return _receive(response, partial, start, log, label)
    except httpx.HTTPError as exc:
        kept = partial.size()
        again = f"; the {size_text(kept)} received are kept and the next pull resumes" if kept else ""
        raise FetchError(f"could not download {url}: {exc}{again}") from exc


def _start_at(response: httpx.Response, have: int, url: str) -> int | None:
    """Where the body starts in the file: 0 (the whole file), `have` (the rest), or None (nothing left)."""
    if response.status_code == httpx.codes.OK:
        return 0
    if have and response.status_code == httpx.codes.PARTIAL_CONTENT:
        found = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
        if found and int(found.group(1)) == have:
            return have
        raise FetchError(f"{url} answered range {response.headers.get('content-range')!r} to bytes={have}-.")
    if have and response.status_code == httpx.codes.REQUESTED_RANGE_NOT_SATISFIABLE:
        total = response.headers.get("content-range", "").rpartition("/")[2]
        if total == str(have):
            return None
    raise FetchError(f"{url} answered HTTP {response.status_code}.")


def _receive(response: httpx.Response, partial: Partial, start: int, log: LogFn, label: str) -> str:
    digest = hashlib.sha256()
    if start:
        digest = _hash_file(partial.data)
    length = response.headers.get("content-length")
    total = start + int(length) if length and length.isdigit() else None
    with partial.data.open("ab") as sink, metered(log, label, total, start) as meter:
        for block in response.iter_bytes():  # as they arrive: a chunk size would hold back bytes on a cut
            digest.update(block)
            sink.write(block)
            meter.advance(len(block))
    return digest.hexdigest()


def _hash_file(path: Path) -> Any:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(_BLOCK):
            digest.update(block)
    return digest


def _digest_of(path: Path) -> str:
    return str(_hash_file(path).hexdigest())
