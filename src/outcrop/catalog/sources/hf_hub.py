"""Weights from the Hugging Face Hub (for machines that reach it), through huggingface_hub.

The snapshot is downloaded into `<models dir>/.downloads/hf-<repo>-<revision>` rather than the pull's fresh
folder, so that huggingface_hub's own bookkeeping there (`.cache/huggingface`) skips the files an interrupted pull
completed and resumes the one it was writing; the files move into place once all have arrived. Its byte counts
(summed over the files) drive the pull's progress.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from outcrop.catalog.sources.base import FetchError, LogFn, downloads_dir
from outcrop.catalog.sources.progress import Meter, metered

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def fetch(params: Mapping[str, Any], dest: Path, log: LogFn) -> None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise FetchError("huggingface_hub is not installed; pip install 'outcrop[ml]'") from exc
    repo_id, revision = params["repo_id"], params.get("revision")
    folder = downloads_dir(dest) / _UNSAFE.sub("-", f"hf-{repo_id}-{revision or 'main'}")
    log(f"downloading {repo_id} from the Hugging Face Hub")
    try:
        with metered(log, str(repo_id), None) as meter:
            snapshot_download(repo_id=repo_id, revision=revision, allow_patterns=params.get("allow_patterns"),
                              local_dir=folder, tqdm_class=bytes_bar(meter))  # fmt: skip
    except Exception as exc:  # the hub client raises many unrelated types; all mean "this source failed"
        raise FetchError(f"{repo_id}: {type(exc).__name__}: {exc}; files already received are kept") from exc
    move_snapshot(folder, dest)


def move_snapshot(folder: Path, dest: Path) -> None:
    """Move the downloaded files (not huggingface_hub's `.cache` bookkeeping) into dest, then drop the folder."""
    for entry in sorted(folder.iterdir()):
        if entry.name != ".cache":
            os.replace(entry, dest / entry.name)
    shutil.rmtree(folder, ignore_errors=True)


def bytes_bar(meter: Meter) -> type[Any]:
    """A tqdm class for snapshot_download that shows nothing itself and forwards the bytes of its summed download
    bar (unit "B"; the file-count bar is ignored) to `meter`; huggingface_hub grows that bar's total as files
    start."""
    from tqdm.auto import tqdm  # type: ignore[import-untyped]

    class BytesBar(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._forward = kwargs.get("unit") == "B" and str(kwargs.get("desc", "")).startswith("Reconstruct")
            super().__init__(*args, **{**kwargs, "disable": True})
            if self._forward and kwargs.get("initial"):
                meter.update(int(kwargs["initial"]), self.total or None)

        def update(self, n: float | None = 1) -> bool | None:
            if self._forward:
                meter.update(meter.done + int(n or 0), int(self.total) if self.total else None)
            return None

    return BytesBar
