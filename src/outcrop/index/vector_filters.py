"""S3 Vectors metadata filters ($eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $and, $or).

Rather than teach every VectorIndex a second filter language, each vector's filterable metadata is stored in an
encoded form that `index/filters.py`'s tree answers exactly, so both indexes filter natively (the embedded index
in Python, pgvector in SQL) with their own over-fetch and exact fallbacks:

- `x:KEY` = true when KEY is present ($exists);
- `v:KEY=VALUE` = true for the value, or for each element of a list value ($eq matches any element, as S3 Vectors
  documents; $ne, $in and $nin follow from it);
- `n:KEY` = the value when it is a single number ($gt, $gte, $lt, $lte; a list never matches a range).

$ne and $nin match vectors that lack the key, as in MongoDB, whose syntax S3 Vectors borrows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from outcrop.errors import ValidationError
from outcrop.index.filters import AllOf, AnyOf, Condition, Filter, Op

_RANGES = {
    "$gt": Op.GREATER_THAN,
    "$gte": Op.GREATER_THAN_OR_EQUALS,
    "$lt": Op.LESS_THAN,
    "$lte": Op.LESS_THAN_OR_EQUALS,
}
OPERATORS = ("$eq", "$ne", *_RANGES, "$in", "$nin", "$exists")
_EXAMPLE = '{"genre": "drama"}, {"year": {"$gte": 2020}} or {"$and": [{"genre": "drama"}, {"year": {"$lt": 2024}}]}'


def encode(filterable: Mapping[str, Any]) -> dict[str, Any]:
    """Filterable metadata -> the keys the compiled filters test (see the module docstring)."""
    encoded: dict[str, Any] = {}
    for key, value in filterable.items():
        encoded[f"x:{key}"] = True
        for item in value if isinstance(value, list) else [value]:
            encoded[_member(key, item)] = True
        if _is_number(value):
            encoded[f"n:{key}"] = value
    return encoded


def compile_filter(raw: Any, where: str = "filter") -> Filter:
    """An S3 Vectors filter document -> a Filter over encoded metadata; ValidationError says what to send."""
    if not isinstance(raw, Mapping) or not raw:
        raise ValidationError(f"{where} must be a non-empty JSON object, for example {_EXAMPLE}.")
    return _all([_entry(str(name), body, where) for name, body in raw.items()])


def _entry(name: str, body: Any, where: str) -> Filter:
    if name in ("$and", "$or"):
        return _logical(name, body, f"{where}.{name}")
    if name.startswith("$"):
        raise ValidationError(
            f"{where}: '{name}' cannot stand at this level; only $and and $or can. Put comparisons under a "
            f'metadata key, for example {{"year": {{"{name}": 2020}}}}.'
        )
    if isinstance(body, Mapping):
        if not body:
            raise ValidationError(f"{where}.{name} is an empty object; send a value or operators such as $eq.")
        return _all([_condition(name, str(op), value, f"{where}.{name}") for op, value in body.items()])
    return _condition(name, "$eq", body, f"{where}.{name}")


def _logical(name: str, body: Any, where: str) -> Filter:
    if not isinstance(body, list) or not body:
        raise ValidationError(f'{where} needs a non-empty array of filters, for example [{{"genre": "drama"}}].')
    parts = tuple(compile_filter(part, f"{where}[{i}]") for i, part in enumerate(body))
    return AllOf(parts) if name == "$and" else AnyOf(parts)


def _condition(key: str, op: str, value: Any, where: str) -> Filter:
    if op in ("$eq", "$ne"):
        member = _member(key, _primitive(value, f"{where}.{op}"))
        return Condition(Op.EQUALS if op == "$eq" else Op.NOT_EQUALS, member, True)
    if op in _RANGES:
        if not _is_number(value) or not math.isfinite(value):
            raise ValidationError(f"{where}.{op} must be a finite number, not {json.dumps(value)}.")
        return Condition(_RANGES[op], f"n:{key}", value)
    if op in ("$in", "$nin"):
        return _membership(key, op, value, f"{where}.{op}")
    if op == "$exists":
        if not isinstance(value, bool):
            raise ValidationError(f"{where}.$exists must be true or false.")
        return Condition(Op.EQUALS if value else Op.NOT_EQUALS, f"x:{key}", True)
    raise ValidationError(f"{where}: unknown operator '{op}'; use one of {', '.join(OPERATORS)}.")


def _membership(key: str, op: str, values: Any, where: str) -> Filter:
    if not isinstance(values, list) or not values:
        raise ValidationError(f'{where} needs a non-empty array of strings, numbers or booleans, e.g. ["a", "b"].')
    members = [_member(key, _primitive(v, f"{where}[{i}]")) for i, v in enumerate(values)]
    if op == "$in":
        return AnyOf(tuple(Condition(Op.EQUALS, m, True) for m in members))
    return AllOf(tuple(Condition(Op.NOT_EQUALS, m, True) for m in members))


def _primitive(value: Any, where: str) -> Any:
    if isinstance(value, str | bool) or (_is_number(value) and math.isfinite(value)):
        return value
    raise ValidationError(f"{where} must be a string, a finite number or a boolean, not {json.dumps(value)}.")


def _member(key: str, value: Any) -> str:
    """One spelling per JSON value: 3 and 3.0 are the same number; true is not 1."""
    if _is_number(value) and float(value).is_integer():
        value = int(value)
    return f"v:{key}=" + json.dumps(value, ensure_ascii=False)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _all(parts: list[Filter]) -> Filter:
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))
