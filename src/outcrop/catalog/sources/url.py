"""Fetch one weights file over HTTP(S), optionally pinned by SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from outcrop.catalog.sources.base import FetchError, LogFn

_TIMEOUT = httpx.Timeout(30.0, read=120.0)


def fetch(params: Mapping[str, Any], dest: Path, log: LogFn) -> None:
    """Stream `params['url']` into `dest/<params['file']>`; a given `sha256` must match or nothing is kept."""
    url, name = params.get("url"), params.get("file")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise FetchError(f"url source needs an http(s) 'url' parameter, got {url!r}.")
    if not isinstance(name, str) or not name or Path(name).name != name or name in {".", ".."}:
        raise FetchError(f"url source needs a plain file name in 'file', got {name!r}.")
    expected = params.get("sha256")
    target, partial = dest / name, dest / f"{name}.partial"
    try:
        digest = _download(url, partial, log)
        if expected is not None and digest != str(expected).lower():
            raise FetchError(f"{url} has SHA-256 {digest}, expected {expected}; the file was discarded.")
        partial.replace(target)
    except OSError as exc:
        raise FetchError(f"could not write {target}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def _download(url: str, out: Path, log: LogFn) -> str:
    log(f"downloading {url}")
    digest = hashlib.sha256()
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=_TIMEOUT) as response:
            if response.status_code != httpx.codes.OK:
                raise FetchError(f"{url} answered HTTP {response.status_code}.")
            with out.open("wb") as sink:
                for block in response.iter_bytes():
                    digest.update(block)
                    sink.write(block)
    except httpx.HTTPError as exc:
        raise FetchError(f"could not download {url}: {exc}") from exc
    return digest.hexdigest()
