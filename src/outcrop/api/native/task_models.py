"""Request models of the native API, derived from the Task dataclasses so each parameter is defined once.

A Task field becomes a pydantic field with the same name (camelCase on the wire, snake_case also accepted), the
same default and, when the dataclass field carries `metadata={"doc": ...}`, the same description. Images travel as
base64 strings; nested dataclasses (GenerationConfig, Conditioning) become nested models. The native wire adds only
what a Task cannot know: range limits (`LIMITS`) and descriptions for fields whose Task does not document them yet
(`DOCS`). The same derivation turns a validated request back into the Task, decoding images on the way.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Union

from PIL.Image import Image
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel

DecodeImage = Callable[[str, str], Image]  # (base64 data, field path) -> image
_SKIPPED = frozenset({"kind"})  # which Task a model builds is fixed by its route

# Wire-level ranges: the Task leaves validated ranges to each wire (GenerationConfig says so); family-specific
# limits (seed maximum, sizes, text length) are checked against the model's family after the Task is built.
LIMITS: Mapping[str, Mapping[str, Any]] = {
    "number_of_images": {"ge": 1, "le": 5},
    "cfg_scale": {"ge": 1.1, "le": 10.0},
    "seed": {"ge": 0},
    "width": {"ge": 1},
    "height": {"ge": 1},
    "similarity_strength": {"ge": 0.2, "le": 1.0},
    "strength": {"ge": 0.0, "le": 1.0},
    "images": {"min_length": 1, "max_length": 5},
    "colors": {"min_length": 1, "max_length": 10},
    "prompt": {"min_length": 1},
}

DOCS: Mapping[str, str] = {  # "Class.field" when one name means different things in different Tasks
    "prompt": "What to generate",
    "negative_prompt": "What to keep out of the image",
    "style": "A visual style preset (Nova Canvas)",
    "conditioning": "An edge or segmentation map the layout follows",
    "image": "PNG or JPEG image (base64 in JSON)",
    "images": "1-5 reference images (base64 in JSON)",
    "mask": "Black/white mask image the size of the image (base64 in JSON)",
    "mask_prompt": "Text naming the masked region (instead of a mask image)",
    "return_mask": "Also return the mask that was used",
    "OutpaintTask.mode": "PRECISE keeps masked pixels exactly; DEFAULT blends",
    "Conditioning.mode": "What the conditioning image is: an edge map or a segmentation map",
    "similarity_strength": "0.2-1.0; 1.0 stays closest to the reference images",
    "colors": "1-10 hex colours such as #FF8800",
    "reference_image": "An image whose look the result stays near (base64 in JSON)",
    "strength": "How strongly the conditioning image steers the layout (0-1)",
    "number_of_images": "How many images (image i uses seed + i)",
    "cfg_scale": "How closely to follow the prompt",
    "seed": "Same seed and parameters give the same pixels",
    "width": "Output width in pixels",
    "height": "Output height in pixels",
    "quality": "standard or premium",
    "text": "Text to embed",
    "dimension": "Length of the returned vector",
    "purpose": "What the vector is for (Nova 2 embeddings)",
    "truncate": "Truncate text over the model's token limit instead of refusing it",
}


class WireModel(BaseModel):
    """camelCase on the wire, snake_case accepted; unknown keys refused, as Bedrock refuses them."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


_MODELS: dict[type[Any], type[WireModel]] = {}


def request_model(
    task_type: type[Any], name: str, *, extra: Mapping[str, tuple[Any, Any]] | None = None,
    renames: Mapping[str, str] | None = None,
) -> type[WireModel]:  # fmt: skip
    """A pydantic model named `name` for `task_type`'s fields, plus `extra` (name -> (type, FieldInfo))."""
    fields: dict[str, Any] = dict(_fields_of(task_type, renames or {}))
    fields |= dict(extra or {})
    model = create_model(name, __base__=WireModel, __doc__=class_doc(task_type), **fields)
    # Read back by build_task: which Task the model describes, and which wire names differ from field names.
    model.__task_type__ = task_type  # type: ignore[attr-defined]
    model.__renames__ = dict(renames or {})  # type: ignore[attr-defined]
    return model


def class_doc(task_type: type[Any]) -> str | None:
    doc = task_type.__doc__
    # @dataclass writes its signature as the docstring of an undocumented class: no use to an API reader.
    return None if doc is None or doc.startswith(f"{task_type.__name__}(") else doc


def nested_model(task_type: type[Any]) -> type[WireModel]:
    """The (cached) model for a dataclass used inside a Task, e.g. GenerationConfig."""
    if task_type not in _MODELS:
        _MODELS[task_type] = request_model(task_type, task_type.__name__)
    return _MODELS[task_type]


def task_fields(task_type: type[Any]) -> list[dataclasses.Field[Any]]:
    """The dataclass fields a request carries (all but the task kind)."""
    return [f for f in dataclasses.fields(task_type) if f.name not in _SKIPPED]


def _fields_of(task_type: type[Any], renames: Mapping[str, str]) -> typing.Iterator[tuple[str, tuple[Any, Any]]]:
    hints = typing.get_type_hints(task_type)
    for f in task_fields(task_type):
        wire_name = renames.get(f.name, f.name)
        limits = LIMITS.get(f.name, {})
        info = Field(_default(f, hints[f.name]), description=_doc(task_type, f), alias=to_camel(wire_name), **limits)
        yield wire_name, (wire_type(hints[f.name]), info)


def _default(f: dataclasses.Field[Any], hint: Any) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
        # A nested dataclass default becomes the nested model's default instance (shown in the OpenAPI schema).
        return nested_model(type(value))() if dataclasses.is_dataclass(value) else value
    # A field that may be None (EmbedTask.text) need not be sent: leaving it out on the wire means None.
    return None if type(None) in typing.get_args(hint) else ...


def _doc(task_type: type[Any], f: dataclasses.Field[Any]) -> str | None:
    doc = f.metadata.get("doc")
    if doc is not None:
        return str(doc)
    return DOCS.get(f"{task_type.__name__}.{f.name}", DOCS.get(f.name))


def wire_type(hint: Any) -> Any:
    """The JSON-side type of a Task field's type: images -> base64 str, tuples -> lists, dataclasses -> models."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        members = tuple(wire_type(arg) for arg in typing.get_args(hint))
        return Union[members]  # noqa: UP007  # built from a runtime tuple, so the | operator does not apply
    if origin is tuple:
        return list[wire_type(typing.get_args(hint)[0])]  # type: ignore[misc]
    if hint is Image:
        return str
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return nested_model(hint)
    return hint


def build_task(request: BaseModel, decode: DecodeImage, task_type: type[Any] | None = None, where: str = "") -> Any:
    """The Task a validated request describes; `decode` turns each base64 image field into an image."""
    target: type[Any] = task_type or type(request).__task_type__  # type: ignore[attr-defined]
    renames: Mapping[str, str] = getattr(type(request), "__renames__", {})
    hints = typing.get_type_hints(target)
    values: dict[str, Any] = {}
    for f in task_fields(target):
        wire_name = renames.get(f.name, f.name)
        values[f.name] = _to_task_value(hints[f.name], getattr(request, wire_name), decode, where + to_camel(wire_name))
    return target(**values)


def _to_task_value(hint: Any, value: Any, decode: DecodeImage, where: str) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        present = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _to_task_value(present[0], value, decode, where)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_to_task_value(item, v, decode, f"{where}[{i}]") for i, v in enumerate(value))
    if hint is Image:
        return decode(value, where)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build_task(value, decode, hint, where + ".")
    return hint(value) if isinstance(hint, type) and issubclass(hint, Enum) else value
