"""`outcrop keys create|list|revoke`: the server's API keys file ($OUTCROP_HOME/api-keys.toml or
OUTCROP_API_KEYS_FILE). A running server picks up changes at its next request; the file holds digests only."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from outcrop.access import Action, ApiKey, KeyFile
from outcrop.access.keys import parse_actions
from outcrop.cli.client import fail
from outcrop.cli.context import settings_from
from outcrop.errors import ValidationError


def _file(ctx: click.Context) -> KeyFile:
    return KeyFile(settings_from(ctx).api_keys_path)


@click.group()
def keys() -> None:
    """Create, list and revoke API keys (sent as 'Authorization: Bearer <key>' or OUTCROP_API_KEY)."""


@keys.command()
@click.argument("name")
@click.option("--model", "models", multiple=True, help="Model id or glob it may use (repeatable; default all).")
@click.option("--action", "actions", multiple=True, type=click.Choice([a.value for a in Action]),
              help="Action it may use (repeatable; default all).")  # fmt: skip
@click.option("--rate", type=click.IntRange(min=1), default=None, help="Requests per minute (default unlimited).")
@click.option("--concurrency", type=click.IntRange(min=1), default=None, help="Requests in flight (default unlimited).")
@click.pass_context
def create(ctx: click.Context, name: str, models: tuple[str, ...], actions: tuple[str, ...], rate: int | None,
           concurrency: int | None) -> None:  # fmt: skip
    """Create a key NAME and print it once (only its SHA-256 digest is kept)."""
    template = ApiKey(name, "", models or ("*",), parse_actions(actions) if actions else frozenset(Action), rate,
                      concurrency)  # fmt: skip
    try:
        _, secret = _file(ctx).create(template)
    except ValidationError as error:
        fail(error.message)
    click.echo(secret)
    click.echo(f"Key '{name}' created; it is shown only now. Send it as OUTCROP_API_KEY.", err=True)


@keys.command("list")
@click.pass_context
def list_keys(ctx: click.Context) -> None:
    """List keys: name, models, actions, quotas, state (never the keys themselves)."""
    table = Table("name", "models", "actions", "rate/min", "concurrency", "created", "state")
    for key in _file(ctx).load():
        quotas = (str(key.rate_per_minute or "-"), str(key.max_concurrent or "-"))
        state = "revoked" if key.revoked else "active"
        table.add_row(key.name, " ".join(key.models), " ".join(sorted(key.actions)), *quotas, key.created_at, state)
    Console(width=160).print(table)


@keys.command()
@click.argument("name")
@click.pass_context
def revoke(ctx: click.Context, name: str) -> None:
    """Revoke key NAME: requests and UI sessions using it are refused from now on."""
    try:
        _file(ctx).revoke(name)
    except ValidationError as error:
        fail(error.message)
    click.echo(f"Key '{name}' revoked.")
