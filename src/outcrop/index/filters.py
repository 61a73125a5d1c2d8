"""Bedrock knowledge-base metadata filters (RetrievalFilter) as a small, validated expression tree.

Parsed once from the wire; each index evaluates the tree its own way (Python predicate for the embedded index,
SQL for pgvector).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from outcrop.errors import ValidationError


class Op(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "notEquals"
    GREATER_THAN = "greaterThan"
    GREATER_THAN_OR_EQUALS = "greaterThanOrEquals"
    LESS_THAN = "lessThan"
    LESS_THAN_OR_EQUALS = "lessThanOrEquals"
    IN = "in"
    NOT_IN = "notIn"
    STARTS_WITH = "startsWith"
    LIST_CONTAINS = "listContains"
    STRING_CONTAINS = "stringContains"


@dataclass(frozen=True)
class Condition:
    op: Op
    key: str
    value: Any


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Filter, ...]


Filter = Condition | AllOf | AnyOf
_NUMERIC = {Op.GREATER_THAN, Op.GREATER_THAN_OR_EQUALS, Op.LESS_THAN, Op.LESS_THAN_OR_EQUALS}
_LISTS = {Op.IN, Op.NOT_IN}


def parse_filter(raw: Mapping[str, Any], where: str = "filter") -> Filter:
    """Wire JSON -> Filter. Exactly one operator per object, as in Bedrock's union."""
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise ValidationError(f"{where} must be an object with exactly one operator (e.g. equals, andAll).")
    ((name, body),) = raw.items()
    if name in ("andAll", "orAll"):
        return _group(name, body, where)
    try:
        op = Op(name)
    except ValueError:
        options = ", ".join([*Op, "andAll", "orAll"])
        raise ValidationError(f"{where}: unknown operator '{name}'; use one of {options}.") from None
    return _condition(op, body, f"{where}.{name}")


def _group(name: str, body: Any, where: str) -> Filter:
    if not isinstance(body, list) or len(body) < 2:
        raise ValidationError(f"{where}.{name} needs a list of at least 2 filters.")
    parts = tuple(parse_filter(part, f"{where}.{name}[{i}]") for i, part in enumerate(body))
    return AllOf(parts) if name == "andAll" else AnyOf(parts)


def _condition(op: Op, body: Any, where: str) -> Condition:
    if not isinstance(body, Mapping) or set(body) != {"key", "value"} or not isinstance(body["key"], str):
        raise ValidationError(f"{where} needs exactly a string 'key' and a 'value'.")
    value = body["value"]
    if op in _NUMERIC and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ValidationError(f"{where}.value must be a number.")
    if op in _LISTS and not isinstance(value, list):
        raise ValidationError(f"{where}.value must be a list.")
    if op in (Op.STARTS_WITH, Op.STRING_CONTAINS) and not isinstance(value, str):
        raise ValidationError(f"{where}.value must be a string.")
    return Condition(op, body["key"], value)


def matches(condition: Filter, metadata: Mapping[str, Any]) -> bool:
    """Evaluate in Python (the embedded index; also the reference the pgvector SQL is tested against)."""
    if isinstance(condition, AllOf):
        return all(matches(part, metadata) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(matches(part, metadata) for part in condition.parts)
    return _test(condition, metadata)


def _test(c: Condition, metadata: Mapping[str, Any]) -> bool:
    present = c.key in metadata
    actual = metadata.get(c.key)
    if c.op is Op.NOT_EQUALS:
        return not present or not same(actual, c.value)
    if c.op is Op.NOT_IN:
        return not present or not any(same(actual, v) for v in c.value)
    if not present:
        return False
    return bool(_POSITIVE[c.op](actual, c.value))


def same(a: Any, b: Any) -> bool:
    """JSON equality: booleans equal only booleans (Python's True == 1 must not leak into filters)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def _ordered(test: Any) -> Any:
    def check(actual: Any, value: Any) -> bool:
        return isinstance(actual, int | float) and not isinstance(actual, bool) and bool(test(actual, value))

    return check


_POSITIVE: dict[Op, Any] = {
    Op.EQUALS: same,
    Op.GREATER_THAN: _ordered(lambda a, v: a > v),
    Op.GREATER_THAN_OR_EQUALS: _ordered(lambda a, v: a >= v),
    Op.LESS_THAN: _ordered(lambda a, v: a < v),
    Op.LESS_THAN_OR_EQUALS: _ordered(lambda a, v: a <= v),
    Op.IN: lambda a, v: any(same(a, x) for x in v),
    Op.STARTS_WITH: lambda a, v: isinstance(a, str) and a.startswith(v),
    Op.LIST_CONTAINS: lambda a, v: isinstance(a, list) and any(same(x, v) for x in a),
    Op.STRING_CONTAINS: lambda a, v: (
        (isinstance(a, str) and v in a) or (isinstance(a, list) and any(same(x, v) for x in a))
    ),
}
