"""Structural validation with JSON Schema, reported in Bedrock's own message format.

Bedrock validates model bodies with a JSON-schema validator and answers, for example,
`Malformed input request: #/embeddingConfig/outputEmbeddingLength: 512 is not a valid enum value, please
reformat your input and try again.` The schemas live next to each body parser as plain data; this module turns
the library's errors into those messages and adds what to send instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import ValidationError as SchemaError

from outcrop.errors import ValidationError

Schema = Mapping[str, Any]

_JSON_TYPES = {
    "string": "String",
    "integer": "Integer",
    "number": "Number",
    "boolean": "Boolean",
    "object": "JSONObject",
    "array": "JSONArray",
    "null": "Null",
}


def malformed(detail: str) -> ValidationError:
    return ValidationError(f"Malformed input request: {detail}, please reformat your input and try again.")


def check(instance: object, schema: Schema) -> None:
    """Raise ValidationError listing every schema violation in `instance`."""
    errors = sorted(Draft202012Validator(schema).iter_errors(instance), key=_order)
    details = [d for error in errors for d in describe(error)]
    if len(details) == 1:
        raise malformed(details[0])
    if details:
        raise malformed(f"{len(details)} schema violations found: " + "; ".join(details))


def pointer(path: Iterable[object]) -> str:
    return "/".join(["#", *(str(p) for p in path)])


def _order(error: SchemaError) -> tuple[str, str]:
    return pointer(error.absolute_path), str(error.validator)


def describe(error: SchemaError) -> list[str]:
    where = pointer(error.absolute_path)
    validator = str(error.validator)
    if validator in _DESCRIBERS:
        return _DESCRIBERS[validator](where, error)
    return [f"{where}: {error.message}"]


def _required(where: str, error: SchemaError) -> list[str]:
    present = error.instance if isinstance(error.instance, Mapping) else {}
    return [f"{where}: required key [{key}] not found" for key in error.validator_value if key not in present]


def _extraneous(where: str, error: SchemaError) -> list[str]:
    allowed = set(error.schema.get("properties", {}))
    extra = sorted(set(error.instance) - allowed) if isinstance(error.instance, Mapping) else []
    hint = f" (allowed keys: {', '.join(sorted(allowed))})" if allowed else ""
    return [f"{where}: extraneous key [{key}] is not permitted{hint}" for key in extra]


def _enum(where: str, error: SchemaError) -> list[str]:
    options = ", ".join(str(v) for v in error.validator_value)
    return [f"{where}: {_show(error.instance)} is not a valid enum value (expected one of: {options})"]


def _type(where: str, error: SchemaError) -> list[str]:
    wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    expected = " or ".join(_JSON_TYPES.get(str(t), str(t)) for t in wanted)
    return [f"{where}: expected type: {expected}, found: {json_type(error.instance)}"]


def _bound(where: str, error: SchemaError) -> list[str]:
    relation = {
        "minimum": "greater or equal to",
        "maximum": "less or equal to",
        "exclusiveMinimum": "greater than",
        "exclusiveMaximum": "less than",
    }[str(error.validator)]
    return [f"{where}: {error.instance} is not {relation} {error.validator_value}"]


def _length(where: str, error: SchemaError) -> list[str]:
    actual = len(error.instance) if isinstance(error.instance, str | list) else error.instance
    return [f"{where}: expected {error.validator}: {error.validator_value}, actual: {actual}"]


def _items(where: str, error: SchemaError) -> list[str]:
    word = "minimum" if error.validator == "minItems" else "maximum"
    found = len(error.instance) if isinstance(error.instance, list) else error.instance
    return [f"{where}: expected {word} item count: {error.validator_value}, found: {found}"]


def _pattern(where: str, error: SchemaError) -> list[str]:
    return [f"{where}: string [{error.instance}] does not match pattern {error.validator_value}"]


def _not_multiple(where: str, error: SchemaError) -> list[str]:
    return [f"{where}: {error.instance} is not a multiple of {error.validator_value}"]


def _const(where: str, error: SchemaError) -> list[str]:
    return [f"{where}: {_show(error.instance)} is not a valid value (expected: {error.validator_value})"]


def _min_properties(where: str, error: SchemaError) -> list[str]:
    return [f"{where}: expected minimum property count: {error.validator_value}, found: {len(error.instance)}"]


_DESCRIBERS = {
    "required": _required,
    "additionalProperties": _extraneous,
    "enum": _enum,
    "type": _type,
    "minimum": _bound,
    "maximum": _bound,
    "exclusiveMinimum": _bound,
    "exclusiveMaximum": _bound,
    "minLength": _length,
    "maxLength": _length,
    "minItems": _items,
    "maxItems": _items,
    "pattern": _pattern,
    "multipleOf": _not_multiple,
    "const": _const,
    "minProperties": _min_properties,
}


def json_type(value: object) -> str:
    """The type name Bedrock's validator reports for a JSON value."""
    if isinstance(value, bool):
        return "Boolean"
    names = {type(None): "Null", int: "Integer", float: "Number", str: "String", list: "JSONArray"}
    return names.get(type(value), "JSONObject")


def _show(value: object) -> str:
    return str(value) if not isinstance(value, str) else value


# Schema fragments shared by several bodies.


def string(min_length: int | None = None, max_length: int | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **extra}
    if min_length is not None:
        schema["minLength"] = min_length
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def integer(minimum: int, maximum: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def number(minimum: float, maximum: float) -> dict[str, Any]:
    return {"type": "number", "minimum": minimum, "maximum": maximum}


def enum(*values: object) -> dict[str, Any]:
    return {"enum": list(values)}


def obj(properties: Mapping[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    """A closed object: unknown keys are violations, as in Bedrock."""
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(required),
        "additionalProperties": False,
    }


def array(items: Mapping[str, Any], min_items: int, max_items: int) -> dict[str, Any]:
    return {"type": "array", "items": dict(items), "minItems": min_items, "maxItems": max_items}
