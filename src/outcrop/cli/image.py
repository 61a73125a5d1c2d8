"""`outcrop image generate|vary|inpaint|outpaint|recolor|remove-bg`: image operations through a running server.

Options are derived from the Task dataclasses (the same definitions the native API's request models come from):
required Task fields are arguments, the rest are options whose defaults stay the Task's (an option left out is not
sent), and GenerationConfig's fields are flat options (--width, --seed, ...).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx
from PIL.Image import Image
from rich.console import Console

from outcrop.api.native.task_models import DOCS, task_fields
from outcrop.cli.client import base_url, fail
from outcrop.cli.exits import EXIT_API_ERROR, EXIT_NO_SERVER
from outcrop.sdk import Client, OutcropAPIError
from outcrop.sdk.types import GeneratedImages
from outcrop.tasks import (
    ColorGuidedTask,
    ImageVariationTask,
    InpaintTask,
    OutpaintTask,
    RemoveBackgroundTask,
    TextToImageTask,
)
from outcrop.tasks.generation import GenerationConfig

T = TypeVar("T")
DEFAULT_MODEL = "amazon.nova-canvas-v1:0"
TIMEOUT_S = 600.0  # a real model on a CPU can take minutes per image
_NOT_ON_CLI = frozenset({"config", "conditioning"})  # config is flattened; conditioning images need the API/SDK


@click.group()
def image() -> None:
    """Generate and edit images on an Outcrop server (--url or OUTCROP_URL)."""


def open_client(ctx: click.Context) -> Client:
    return Client(base_url(ctx), timeout=TIMEOUT_S)


def sdk_call(action: Callable[[], T], ctx: click.Context) -> T:
    """Run one SDK call; on failure print `error: <Code>: <message>` and exit as cli/client.py does."""
    try:
        return action()
    except httpx.ConnectError:
        url = base_url(ctx)
        fail(f"no Outcrop server answers at {url}; start one with `outcrop serve` or pass --url.", EXIT_NO_SERVER)
    except httpx.TimeoutException:
        fail(f"the server did not answer within {TIMEOUT_S:.0f}s.", EXIT_API_ERROR)
    except OutcropAPIError as exc:
        fail(f"{exc.code}: {exc.message}", EXIT_API_ERROR)


def _click_params(task_type: type[Any]) -> Iterator[click.Parameter]:
    hints = typing.get_type_hints(task_type)
    for f in task_fields(task_type):
        if f.name in _NOT_ON_CLI:
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        yield _parameter(f, hints[f.name], required=required, owner=task_type)


def _config_params() -> Iterator[click.Parameter]:
    hints = typing.get_type_hints(GenerationConfig)
    for f in dataclasses.fields(GenerationConfig):
        yield _parameter(f, hints[f.name], required=False, owner=GenerationConfig)


def _parameter(f: dataclasses.Field[Any], hint: Any, *, required: bool, owner: type[Any]) -> click.Parameter:
    base, many = _base_type(hint)
    kind = _click_type(base)
    if required:
        return click.Argument([f.name], type=kind, nargs=-1 if many else 1, required=True)
    doc = DOCS.get(f"{owner.__name__}.{f.name}", DOCS.get(f.name, ""))
    default = f.default if f.default is not dataclasses.MISSING else None
    shown = f" [default: {default.value if isinstance(default, enum.Enum) else default}]" if default is not None else ""
    flag = "--" + f.name.replace("_", "-")
    if base is bool:
        return click.Option([flag, f.name], is_flag=True, default=None, help=doc + shown)
    # default None: an option the user leaves out is not sent, so the Task's default applies on the server
    return click.Option([flag, f.name], type=kind, multiple=many, default=None, help=doc + shown)


def _base_type(hint: Any) -> tuple[Any, bool]:
    args = [a for a in typing.get_args(hint) if a is not type(None) and a is not Ellipsis]
    if typing.get_origin(hint) is tuple:
        return args[0], True
    if args:  # X | None
        return args[0], False
    return hint, False


def _click_type(base: Any) -> click.ParamType[Any, Any]:
    if base is Image:
        return click.Path(exists=True, dir_okay=False, path_type=Path)
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return click.Choice([str(m.value) for m in base])
    scalar: dict[Any, click.ParamType[Any, Any]] = {int: click.INT, float: click.FLOAT, bool: click.BOOL}
    return scalar.get(base, click.STRING)


def _command(name: str, operation: str, task_type: type[Any], help_text: str) -> click.Command:
    def run(**values: Any) -> None:
        ctx = click.get_current_context()
        common = {k: values.pop(k) for k in ("model_id", "out", "as_json")}
        params = {k: _sent(v) for k, v in values.items() if v is not None and v != ()}
        _run_operation(ctx, operation, params, **common)

    params = [*_click_params(task_type)]
    if task_type is not RemoveBackgroundTask:
        params += [*_config_params()]
    params += [
        click.Option(["--model", "model_id"], default=DEFAULT_MODEL, show_default=True, help="Bedrock image model id"),
        click.Option(
            ["--out", "out"],
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("."),
            show_default=True,
            help="Folder for the PNG files",
        ),
        click.Option(["--json", "as_json"], is_flag=True, help="Print the result as JSON (for scripts)"),
    ]
    return click.Command(name, callback=run, params=params, help=help_text)


def _sent(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _run_operation(ctx: click.Context, operation: str, params: dict[str, Any], *, model_id: str, out: Path,
                   as_json: bool) -> None:  # fmt: skip
    method = operation.replace("-", "_")
    with open_client(ctx) as client, _spinner(f"{operation}: waiting for the server", show=not as_json):
        call: Callable[..., GeneratedImages] = getattr(client.images, method)
        result = sdk_call(lambda: call(model_id=model_id, **params), ctx)
    files = _save(result, out, operation)
    summary = {"files": [str(p) for p in files], "seed": result.seed, "seeds": result.seeds,
               "modelId": result.model_id, "blocked": result.blocked}  # fmt: skip
    if as_json:
        click.echo(json.dumps(summary))
        return
    for path in files:
        click.echo(str(path))
    if result.seed is not None:
        click.echo(f"seed: {result.seed}", err=True)
    if result.blocked:
        click.echo(f"{result.blocked} image(s) withheld by the content filter", err=True)


class _spinner:  # noqa: N801  # used like a function in a with statement
    """A rich spinner on stderr while the server works; nothing when output is for a script."""

    def __init__(self, text: str, *, show: bool) -> None:
        self._status = Console(stderr=True).status(text) if show else None

    def __enter__(self) -> None:
        if self._status is not None:
            self._status.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)


def _save(result: GeneratedImages, out: Path, operation: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    stems = [f"{operation}-{seed}" for seed in result.seeds] or [operation] * len(result.pngs)
    paths = []
    for index, png in enumerate(result.pngs):
        stem = stems[index] if index < len(stems) else f"{operation}-{index}"
        path = _free_path(out, stem + (f"-{index}" if stems.count(stem) > 1 else ""))
        path.write_bytes(png)  # the signed file as the server made it: re-encoding would drop its provenance
        paths.append(path)
    return paths


def _free_path(folder: Path, stem: str) -> Path:
    """Never overwrite an earlier result: add -2, -3, ... to the name."""
    path, n = folder / f"{stem}.png", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}.png", n + 1
    return path


for _name, _operation, _task, _help in (
    ("generate", "generate", TextToImageTask, "Generate images from PROMPT."),
    ("vary", "vary", ImageVariationTask, "New images close to 1-5 reference IMAGES."),
    (
        "inpaint",
        "inpaint",
        InpaintTask,
        "Change the region of IMAGE given by --mask (black = change) or --mask-prompt.",
    ),
    ("outpaint", "outpaint", OutpaintTask, "Keep the region of IMAGE given by --mask or --mask-prompt; redo the rest."),
    ("recolor", "recolor", ColorGuidedTask, "Images of PROMPT whose palette follows COLORS (#RRGGBB ...)."),
    ("remove-bg", "remove-background", RemoveBackgroundTask, "Cut the main subject of IMAGE out (RGBA PNG)."),
):
    image.add_command(_command(_name, _operation, _task, _help))
