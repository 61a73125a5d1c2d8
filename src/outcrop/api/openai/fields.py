"""Reading an OpenAI request's fields: a JSON object (generations) or a multipart form (edits, variations).

Both are read through `Fields`, with OpenAI's names in every message. Form values arrive as text, so numbers are
parsed from it there; in JSON they must already be numbers. `null` counts as absent, as OpenAI's API treats it.
Unknown fields are refused, as OpenAI refuses them, naming the ones each route takes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from outcrop.api.openai.errors import invalid

MAX_TEXT_FIELD_BYTES = 32_768  # per text field of a form: far above any prompt limit here (1,024 characters)
MAX_FORM_FIELDS = 32
MAX_USER_CHARS = 256


@dataclass(frozen=True)
class Fields:
    """One request's fields; `form` when they came as multipart text."""

    values: Mapping[str, object]
    form: bool = False

    def refuse_unknown(self, accepted: Iterable[str], route: str) -> None:
        known = set(accepted)
        unknown = sorted(set(self.values) - known)
        if unknown:
            raise invalid(
                f"Unrecognized request argument supplied: {', '.join(unknown)}. {route} takes "
                f"{', '.join(sorted(known))}.",
                unknown[0],
                "unknown_parameter",
            )

    def present(self, name: str) -> bool:
        return self.values.get(name) is not None

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise invalid(f"{name} must be a string; send it as text.", name, "invalid_type")
        return value

    def integer(self, name: str, default: int) -> int:
        value = self.values.get(name)
        if value is None:
            return default
        if self.form and isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise invalid(f"{name} is {_shown(value)}; send a whole number.", name, "invalid_type")

    def boolean(self, name: str) -> bool:
        value = self.values.get(name)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if self.form and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise invalid(f"{name} is {_shown(value)}; send true or false.", name, "invalid_type")

    def choice(self, name: str, choices: Iterable[str], default: str) -> str:
        value = self.text(name, default)
        options = tuple(choices)
        if value not in options:
            raise invalid(f"{name} is {_shown(value)}; send one of {', '.join(options)}.", name)
        return str(value)

    def files(self, *names: str) -> list[UploadFile]:
        """The uploads under any of `names` (e.g. `image` and `image[]`), in the order sent."""
        found: list[UploadFile] = []
        for name in names:
            value = self.values.get(name)
            items = value if isinstance(value, list) else [] if value is None else [value]
            for item in items:
                if not isinstance(item, UploadFile):
                    raise invalid(f"{name} must be a file upload (multipart/form-data), not text.", name)
                found.append(item)
        return found


def _shown(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, UploadFile) else "a file"
    return text if len(text) <= 40 else text[:37] + "..."


async def json_fields(request: Request) -> Fields:
    """The body as a JSON object (the middleware already bounded its size and refused NaN and deep nesting)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/json", ""):
        raise invalid(f"The body is {content_type}; send a JSON object (Content-Type: application/json).", None)
    try:
        value = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"The body is not valid JSON ({exc}); send a JSON object.", None) from exc
    if not isinstance(value, dict):
        raise invalid("The body must be a JSON object of the request's fields.", None)
    return Fields(value)


async def form_fields(request: Request, max_files: int) -> tuple[Fields, FormData]:
    """The multipart form, with at most `max_files` uploads, bounded before any image is decoded.

    The caller closes the returned FormData (its uploads are spooled to temporary files)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise invalid(
            f"The body is {content_type or 'untyped'}; send multipart/form-data with the image as a file "
            "(the openai SDK does this for images.edit and images.create_variation).",
            None,
        )
    try:
        form = await request.form(max_files=max_files, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_TEXT_FIELD_BYTES)
    except HTTPException as exc:  # starlette's MultiPartException: too many files or fields, a field too long
        raise invalid(f"The form was refused: {exc.detail} Send at most {max_files} file(s).", None) from exc
    values: dict[str, object] = {}
    for key, value in form.multi_items():
        previous = values.get(key)
        if previous is None:
            values[key] = value
        else:
            values[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
    _refuse_repeated_text(values)
    return Fields(values, form=True), form


def _refuse_repeated_text(values: Mapping[str, object]) -> None:
    for key, value in values.items():
        if isinstance(value, list) and any(isinstance(item, str) for item in value):
            raise invalid(f"{key} was sent {len(value)} times; send it once.", key)


async def read_upload(upload: UploadFile, name: str, limit: int) -> bytes:
    """An upload's bytes, refused before reading when it is larger than `limit`."""
    size = upload.size
    if size is not None and size > limit:
        raise invalid(f"{name} is {size:,} bytes; the limit is {limit:,} bytes.", name)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise invalid(f"{name} is over {limit:,} bytes; send at most {limit:,} bytes.", name)
    return data
