"""Weights already on disk (a path the user names): copied so the installed folder is self-contained."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from outcrop.catalog.sources.base import FetchError, LogFn


def fetch(params: Mapping[str, Any], dest: Path, log: LogFn) -> None:
    source = Path(params["path"]).expanduser()
    if not source.exists():
        raise FetchError(f"{source} does not exist")
    log(f"copying {source}")
    if source.is_dir():
        shutil.copytree(source, dest, dirs_exist_ok=True)
    else:
        shutil.copy2(source, dest / params.get("file", source.name))
