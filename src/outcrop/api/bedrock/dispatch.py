"""InvokeModel's body parser and response encoder, looked up in the family registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outcrop.catalog import ModelEntry
from outcrop.errors import ValidationError
from outcrop.families.base import Json
from outcrop.families.registry import wire_family
from outcrop.tasks import Task


def parse_invoke_body(entry: ModelEntry, body: Mapping[str, Any]) -> Task:
    wire = wire_family(entry.family)
    if wire.parse_invoke is None:
        raise ValidationError(wire.invoke_refusal.format(model=entry.model_id))
    return wire.parse_invoke(entry, body)


def encode_invoke(entry: ModelEntry, task: Task, result: object, body: Mapping[str, Any]) -> Json:
    wire = wire_family(entry.family)
    assert wire.encode_invoke is not None  # parse_invoke_body refused the request otherwise
    return wire.encode_invoke(entry, task, result, body)


def token_headers(entry: ModelEntry, result: object) -> dict[str, str]:
    return wire_family(entry.family).headers(result)
