"""`outcrop keys create|list|revoke`: the server's API keys, in PostgreSQL when OUTCROP_KEYS_DSN is set (servers
re-read it every OUTCROP_KEYS_REFRESH_S seconds), else in the keys file ($OUTCROP_HOME/api-keys.toml or
OUTCROP_API_KEYS_FILE; a running server picks up changes at its next request). Both hold digests only. Each command
says on stderr which store it used."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.table import Table

from outcrop.access import Action, ApiKey, KeyStore, key_store
from outcrop.access.keys import KeyStoreUnavailableError, parse_actions
from outcrop.cli.client import fail
from outcrop.cli.context import settings_from
from outcrop.errors import ValidationError


@contextmanager
def _store(ctx: click.Context) -> Iterator[KeyStore]:
    """The store OUTCROP_KEYS_DSN chooses; its errors become messages that say which store it was."""
    store = key_store(settings_from(ctx))
    try:
        yield store
    except ValidationError as error:
        fail(f"{error.message} (keys in {store.describe()})")
    except KeyStoreUnavailableError as error:
        fail(f"Cannot reach {store.describe()}: {error}")
    finally:
        store.close()


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
    with _store(ctx) as store:
        _, secret = store.create(template)
    click.echo(secret)
    click.echo(f"Key '{name}' created in {store.describe()}; it is shown only now. Send it as OUTCROP_API_KEY.",
               err=True)  # fmt: skip


@keys.command("list")
@click.pass_context
def list_keys(ctx: click.Context) -> None:
    """List keys: name, models, actions, quotas, state (never the keys themselves)."""
    table = Table("name", "models", "actions", "rate/min", "concurrency", "created", "state")
    with _store(ctx) as store:
        found = store.load()
    click.echo(f"Keys in {store.describe()}:", err=True)
    for key in found:
        quotas = (str(key.rate_per_minute or "-"), str(key.max_concurrent or "-"))
        state = "revoked" if key.revoked else "active"
        table.add_row(key.name, " ".join(key.models), " ".join(sorted(key.actions)), *quotas, key.created_at, state)
    Console(width=160).print(table)


@keys.command()
@click.argument("name")
@click.pass_context
def revoke(ctx: click.Context, name: str) -> None:
    """Revoke key NAME: requests and UI sessions using it are refused from now on."""
    with _store(ctx) as store:
        store.revoke(name)
    click.echo(f"Key '{name}' revoked in {store.describe()}.")
