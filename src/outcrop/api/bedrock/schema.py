"""Re-export: the schema helpers live in `outcrop.families.schema` (the job services validate with them too)."""

from outcrop.families.schema import (
    Schema,
    array,
    check,
    describe,
    enum,
    integer,
    malformed,
    number,
    obj,
    pointer,
    string,
)

__all__ = ["Schema", "array", "check", "describe", "enum", "integer", "malformed", "number", "obj", "pointer", "string"]
