"""`outcrop models list|pull|load|unload|pin|unpin`: what serves each Bedrock model id and where it runs, installing
its weights, and loading or unloading them on a running server."""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import quote

import click
import httpx
from rich.console import Console
from rich.table import Table

from outcrop.catalog import Catalog, load_catalog
from outcrop.catalog.pull import PullError, pull, resolve_weights_name
from outcrop.cli.client import base_url, call
from outcrop.cli.context import settings_from
from outcrop.cli.exits import EXIT_PULL_FAILED
from outcrop.sdk.auth import default_auth

TABLE_WIDTH = 100
LOAD_TIMEOUT_S = 1800  # a real-size model can take minutes to load


def _catalog(ctx: click.Context) -> Catalog:
    settings = settings_from(ctx)
    return load_catalog(settings.profile, settings.models_dir, settings.catalog_file)


@click.group()
def models() -> None:
    """List and install models."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_models(ctx: click.Context, as_json: bool) -> None:
    """Show each Bedrock model id, the tasks it serves here, whether their weights are installed, and, from the
    running server, where each runs (device, dtype) and whether it is loaded."""
    catalog = _catalog(ctx)
    live = _server_listing(ctx)
    rows = [
        {
            "model_id": entry.model_id,
            "name": entry.name,
            "lifecycle": str(entry.lifecycle),
            "task": str(kind),
            "backend": binding.backend,
            "weights": binding.weights,
            "installed": catalog.installed(binding.weights),
            "serving": binding == catalog.binding(entry, kind),
            **_runtime(live, entry.model_id, str(kind), binding.weights),
        }
        for entry in catalog.models.values()
        for kind, choices in entry.bindings.items()
        for binding in choices
    ]
    unbound = [e.model_id for e in catalog.models.values() if not e.bindings]
    if as_json:
        listing = {"profile": catalog.profile, "server": live is not None, "bindings": rows, "unbound": unbound}
        click.echo(json.dumps(listing, indent=2))
        return
    _print_table(catalog.profile, rows, unbound, base_url(ctx) if live is None else None)


Placements = dict[tuple[str, str, str], dict[str, Any]]


def _server_listing(ctx: click.Context) -> Placements | None:
    """(model id, task, weights) -> device, dtype, resident, pinned from the server's GET /v1/models; None when no
    server answers (residency exists only in a server process)."""
    try:
        reply = httpx.get(base_url(ctx) + "/v1/models", timeout=10, auth=default_auth())
        reply.raise_for_status()
    except httpx.HTTPError:
        return None
    return {
        (model["modelId"], task, binding["weights"]): binding
        for model in reply.json()["models"]
        for task, bindings in model["tasks"].items()
        for binding in bindings
    }


def _runtime(live: Placements | None, model_id: str, task: str, weights: str) -> dict[str, Any]:
    found = (live or {}).get((model_id, task, weights), {})
    return {key: found.get(key) for key in ("device", "dtype", "resident", "pinned")}


def _print_table(profile: str, rows: list[dict[str, Any]], unbound: list[str], no_server: str | None) -> None:
    table = Table(title=f"Outcrop models (profile: {profile})")
    table.add_column("model id", overflow="fold", min_width=22)
    for column in ("task", "weights", "inst.", "serves", "runs on", "loaded"):
        table.add_column(column, overflow="fold", max_width=14)
    for row in rows:
        mark = "[green]yes[/green]" if row["installed"] else "[red]no[/red]"
        serves = "[bold]yes[/bold]" if row["serving"] else "no"
        loaded = "-" if row["resident"] is None else ("pinned" if row["pinned"] else "yes" if row["resident"] else "no")
        runs_on = f"{row['device']} {row['dtype']}" if row["device"] else "-"
        cells = (row["model_id"], row["task"], row["weights"], mark, serves, runs_on)
        table.add_row(*(str(c) for c in cells), loaded)
    console = Console(width=min(Console().width, TABLE_WIDTH) if sys.stdout.isatty() else TABLE_WIDTH)
    console.print(table)
    if no_server is not None:
        console.print(f"no server answers at {no_server}: device, dtype and loaded are shown by a running server")
    missing = sorted({str(row["weights"]) for row in rows if not row["installed"]})
    for weights in missing:
        console.print(f"install {weights}: outcrop models pull {weights}")
    if unbound:
        console.print("no local backend bound yet (requests answer AccessDeniedException): " + ", ".join(unbound))


def _residency_command(action: str, summary: str) -> click.Command:
    @click.command(action, help=summary)
    @click.argument("model_id")
    @click.pass_context
    def command(ctx: click.Context, model_id: str) -> None:
        model = call(ctx, "POST", f"/v1/models/{quote(model_id, safe='')}/{action}", timeout=LOAD_TIMEOUT_S)
        for task, bindings in model["tasks"].items():
            for binding in (b for b in bindings if b["serving"]):
                state = "pinned" if binding["pinned"] else "loaded" if binding["resident"] else "not loaded"
                size = f", {binding['bytes'] / 1e6:.0f} MB" if binding["resident"] else ""
                click.echo(f"{model['modelId']} {task}: {binding['weights']} {state} on {binding['device']} "
                           f"({binding['dtype']}{size})")  # fmt: skip

    return command


for _action, _summary in (
    ("load", "Load a model's weights on the running server now."),
    ("unload", "Drop a model's weights from the running server's memory (refused while it has tasks)."),
    ("pin", "Load a model and keep it loaded: the memory budget never evicts it."),
    ("unpin", "Let the memory budget evict a pinned model again when it is idle."),
):
    models.add_command(_residency_command(_action, _summary))


@models.command("pull")
@click.argument("names", nargs=-1, required=True)
@click.option("--force", is_flag=True, help="Download again even if installed.")
@click.pass_context
def pull_model(ctx: click.Context, names: tuple[str, ...], force: bool) -> None:
    """Install weights by weights name or Bedrock model id (e.g. isnet-general-medium)."""
    catalog = _catalog(ctx)
    for name in names:
        try:
            weights = resolve_weights_name(catalog, name)
            folder = pull(catalog, weights, lambda line: click.echo(line, err=True), force=force)
        except PullError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_PULL_FAILED)
        click.echo(str(folder) if folder else f"{weights}: built in")
