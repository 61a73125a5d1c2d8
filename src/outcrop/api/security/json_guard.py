"""JSON bodies every route refuses before it parses them: NaN and Infinity (not JSON, yet Python's json accepts
them), nesting deeper than MAX_DEPTH, and strings with lone surrogates (valid JSON escapes that no UTF-8 encoder
accepts later). Plain syntax errors are left to the route, whose message names what it expected.
"""

from __future__ import annotations

import json
from typing import Any

from outcrop.errors import ValidationError

MAX_DEPTH = 64


def check_json_body(content_type: str, body: bytes) -> None:
    if "json" not in content_type and content_type not in ("", "*/*"):
        return
    if body.lstrip()[:1] not in (b"{", b"["):
        return
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError):
        return  # not JSON: the route says what it expected
    _walk(value)


def _refuse_constant(name: str) -> Any:
    raise ValidationError(f"The body contains {name}, which is not a JSON number; send a finite number instead.")


def _walk(root: Any) -> None:
    """Depth-first without recursion: depth and every string (keys included) checked."""
    pending: list[tuple[Any, int]] = [(root, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValidationError(
            f"The body contains an unpaired UTF-16 surrogate (\\u{ord(text[error.start]):04x}); "
            "send valid Unicode text."
        ) from None


def _too_deep() -> ValidationError:
    return ValidationError(f"The JSON body nests deeper than {MAX_DEPTH} levels; send a flatter document.")
