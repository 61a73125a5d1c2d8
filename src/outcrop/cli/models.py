"""`outcrop models list|pull|load|unload|pin|unpin`: what serves each Bedrock model id and where it runs, installing
its weights, and loading or unloading them on a running server."""

from __future__ import annotations

import json
import sys
from urllib.parse import quote

import click

from outcrop.catalog import Catalog, load_catalog
from outcrop.catalog.pull import PullError, pull, resolve_weights_name
from outcrop.cli.client import call
from outcrop.cli.context import settings_from
from outcrop.cli.exits import EXIT_PULL_FAILED
from outcrop.cli.model_table import listing_for, print_table
from outcrop.cli.pull_progress import pull_display

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
    """Show each Bedrock model id, the tasks it serves, which weights serve each task, whether they are installed,
    where they run (device, dtype) and whether they are loaded. With --url (or OUTCROP_URL), the catalogue of that
    server; otherwise this machine's (with placement from a server at the default address of the same profile)."""
    listing = listing_for(ctx)
    if as_json:
        click.echo(json.dumps(listing.as_json(), indent=2))
        return
    print_table(listing)


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
    """Install weights by weights name or Bedrock model id (e.g. isnet-general-medium), with a progress bar per
    download. An interrupted pull resumes: run it again."""
    catalog = _catalog(ctx)
    for name in names:
        try:
            weights = resolve_weights_name(catalog, name)
            with pull_display() as log:
                folder = pull(catalog, weights, log, force=force)
        except PullError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_PULL_FAILED)
        click.echo(str(folder) if folder else f"{weights}: built in")
