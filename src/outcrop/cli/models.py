"""`outcrop models list|pull`: what serves each Bedrock model id, and installing its weights."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from outcrop.catalog import Catalog, load_catalog
from outcrop.catalog.pull import PullError, pull, resolve_weights_name
from outcrop.cli.context import settings_from


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
    """Show each Bedrock model id, the tasks it serves here, and whether their weights are installed."""
    catalog = _catalog(ctx)
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
        }
        for entry in catalog.models.values()
        for kind, choices in entry.bindings.items()
        for binding in choices
    ]
    unbound = [e.model_id for e in catalog.models.values() if not e.bindings]
    if as_json:
        click.echo(json.dumps({"profile": catalog.profile, "bindings": rows, "unbound": unbound}, indent=2))
        return
    _print_table(catalog.profile, rows, unbound)


def _print_table(profile: str, rows: list[dict[str, object]], unbound: list[str]) -> None:
    table = Table(title=f"Outcrop models (profile: {profile})")
    for column in ("model id", "task", "backend", "weights", "installed", "serves"):
        table.add_column(column, overflow="fold")
    for row in rows:
        mark = "[green]yes[/green]" if row["installed"] else "[red]no[/red]"
        serves = "[bold]yes[/bold]" if row["serving"] else "no"
        cells = (row["model_id"], row["task"], row["backend"], row["weights"])
        table.add_row(*(str(c) for c in cells), mark, serves)
    console = Console()
    console.print(table)
    missing = sorted({str(row["weights"]) for row in rows if not row["installed"]})
    for weights in missing:
        console.print(f"install {weights}: outcrop models pull {weights}")
    if unbound:
        console.print("no local backend bound yet (requests answer AccessDeniedException): " + ", ".join(unbound))


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
            sys.exit(1)
        click.echo(str(folder) if folder else f"{weights}: built in")
