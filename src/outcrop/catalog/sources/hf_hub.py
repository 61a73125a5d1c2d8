"""Weights from the Hugging Face Hub (for machines that reach it), through huggingface_hub."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from outcrop.catalog.sources.base import FetchError, LogFn


def fetch(params: Mapping[str, Any], dest: Path, log: LogFn) -> None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise FetchError("huggingface_hub is not installed; pip install 'outcrop[ml]'") from exc
    repo_id = params["repo_id"]
    log(f"downloading {repo_id} from the Hugging Face Hub")
    try:
        snapshot_download(
            repo_id=repo_id,
            revision=params.get("revision"),
            allow_patterns=params.get("allow_patterns"),
            local_dir=dest,
        )
    except Exception as exc:  # the hub client raises many unrelated types; all mean "this source failed"
        raise FetchError(f"{repo_id}: {type(exc).__name__}: {exc}") from exc
