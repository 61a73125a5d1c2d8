"""S3 Vectors metadata on the way in: types and the documented per-vector limits."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from outcrop.errors import ValidationError

MAX_KEYS = 50
MAX_TOTAL_BYTES = 40 * 1024  # filterable + non-filterable
MAX_FILTERABLE_BYTES = 2 * 1024


def checked_metadata(metadata: Any, non_filterable: Sequence[str], where: str) -> dict[str, Any]:
    """The metadata as a dict, or ValidationError naming the rule it breaks and what to send."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise ValidationError(f'{where} must be a JSON object such as {{"genre": "drama", "year": 2020}}.')
    if len(metadata) > MAX_KEYS:
        raise ValidationError(f"{where} has {len(metadata)} keys; a vector carries at most {MAX_KEYS}.")
    for key, value in metadata.items():
        _check_value(value, f"{where}.{key}")
    _check_size(metadata, MAX_TOTAL_BYTES, where, "metadata")
    filterable = {k: v for k, v in metadata.items() if k not in non_filterable}
    _check_size(filterable, MAX_FILTERABLE_BYTES, where, "filterable metadata")
    return dict(metadata)


def _check_value(value: Any, where: str) -> None:
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_primitive(item, f"{where}[{i}]")
        return
    _check_primitive(value, where)


def _check_primitive(value: Any, where: str) -> None:
    if isinstance(value, str | bool):
        return
    if isinstance(value, int | float) and math.isfinite(value):
        return
    raise ValidationError(
        f"{where} must be a string, a finite number, a boolean or a list of those, not {json.dumps(value)}."
    )


def _check_size(metadata: Mapping[str, Any], limit: int, where: str, what: str) -> None:
    size = len(json.dumps(metadata, ensure_ascii=False, separators=(",", ":")).encode())
    if size > limit:
        hint = " (declare large keys in nonFilterableMetadataKeys when creating the index)" if "filter" in what else ""
        raise ValidationError(f"{where}: {what} is {size:,} bytes; the limit is {limit:,} bytes per vector{hint}.")
