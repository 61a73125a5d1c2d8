"""What `outcrop models list` shows: the rows of a catalogue, from the server the CLI is pointed at (--url or
OUTCROP_URL) or from this machine's catalogue, and a table of them that fits 100 columns."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import click
import httpx
from rich.console import Console
from rich.markup import escape

from outcrop.catalog import load_catalog
from outcrop.cli.client import base_url, call
from outcrop.cli.context import given_options, settings_from
from outcrop.sdk.auth import default_auth

TABLE_WIDTH = 100
RUNTIME_KEYS = ("device", "dtype", "resident", "pinned")


@dataclass
class Listing:
    """One catalogue: `source` is the server's URL, or None for this machine's catalogue files."""

    profile: str
    source: str | None
    rows: list[dict[str, Any]]
    unbound: list[str]
    names: dict[str, str] = field(default_factory=dict)  # model id -> display name
    server: bool = False  # whether device, dtype and residency come from a running server
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "source": self.source or "local",
            "server": self.server,
            "bindings": self.rows,
            "unbound": self.unbound,
        }


def listing_for(ctx: click.Context) -> Listing:
    """The server's catalogue when a URL is given (a client command talks to that server, and its profile and
    installed weights are the ones that answer requests); this machine's otherwise."""
    if given_options(ctx).get("url"):
        return server_listing(base_url(ctx), call(ctx, "GET", "/v1/models", timeout=30))
    return local_listing(ctx)


def server_listing(url: str, reply: dict[str, Any]) -> Listing:
    rows = [
        {
            "model_id": model["modelId"],
            "name": model["name"],
            "lifecycle": model["lifecycle"],
            "task": task,
            "backend": binding["backend"],
            "weights": binding["weights"],
            "installed": binding["installed"],
            "serving": binding["serving"],
            **{key: binding.get(key) for key in RUNTIME_KEYS},
        }
        for model in reply["models"]
        for task, bindings in model["tasks"].items()
        for binding in bindings
    ]
    unbound = [model["modelId"] for model in reply["models"] if not model["tasks"]]
    names = {model["modelId"]: model["name"] for model in reply["models"]}
    return Listing(reply["profile"], url, rows, unbound, names, server=True)


def local_listing(ctx: click.Context) -> Listing:
    """This machine's catalogue; where and whether each model is loaded come from a server at the default address
    only when it serves the same profile (another profile's rows would not match these)."""
    settings = settings_from(ctx)
    catalog = load_catalog(settings.profile, settings.models_dir, settings.catalog_file)
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
    unbound = [entry.model_id for entry in catalog.models.values() if not entry.bindings]
    names = {entry.model_id: entry.name for entry in catalog.models.values()}
    listing = Listing(catalog.profile, None, rows, unbound, names)
    _add_placements(listing, base_url(ctx))
    return listing


def _add_placements(listing: Listing, url: str) -> None:
    try:
        reply = httpx.get(url + "/v1/models", timeout=10, auth=default_auth())
        reply.raise_for_status()
        live = server_listing(url, reply.json())
    except (httpx.HTTPError, ValueError, KeyError):
        live = None
    if live is None or live.profile != listing.profile:
        why = "no server answers" if live is None else f"the server there serves profile {live.profile}"
        listing.note = (f"{why} at {url}: device, dtype and loaded come from a running server "
                        "(outcrop --url URL models list shows that server's catalogue)")  # fmt: skip
        for row in listing.rows:
            row.update(dict.fromkeys(RUNTIME_KEYS))
        return
    found = {(row["model_id"], row["task"], row["weights"]): row for row in live.rows}
    for row in listing.rows:
        match = found.get((row["model_id"], row["task"], row["weights"]), {})
        row.update({key: match.get(key) for key in RUNTIME_KEYS})
    listing.server = True


# ---------------------------------------------------------------- the table


def print_table(listing: Listing) -> None:
    """One heading line per model id, then one line per task and weights: ids are up to 40 characters, so an id
    column beside the others would wrap every row at 100 columns."""
    width = min(Console().width, TABLE_WIDTH) if sys.stdout.isatty() else TABLE_WIDTH
    console = Console(width=width, highlight=False, soft_wrap=False)
    where = f"on {listing.source}" if listing.source else "in this machine's catalogue"
    console.print(f"[bold]Outcrop models {escape(where)} (profile: {escape(listing.profile)})[/bold]")
    console.print("* marks the weights that serve the task; the others are used when those are not installed")
    widths = _widths(listing.rows)
    console.print("[dim]" + escape(_line(("  task", "  weights", "installed", "runs on", "loaded"), widths)))
    for model_id in dict.fromkeys(row["model_id"] for row in listing.rows):
        heading = f"{model_id}  {listing.names.get(model_id, '')}".rstrip()
        console.print(f"[bold]{escape(_clip(heading, width))}[/bold]")
        for row in (r for r in listing.rows if r["model_id"] == model_id):
            console.print(_styled(row, widths))
    _print_notes(console, listing)


def _cells(row: dict[str, Any]) -> tuple[str, str, str, str, str]:
    loaded = "-" if row.get("resident") is None else "pinned" if row["pinned"] else "yes" if row["resident"] else "no"
    runs_on = f"{row['device']} {row['dtype']}" if row.get("device") else "-"
    mark = "* " if row["serving"] else "  "
    return f"  {row['task']}", mark + str(row["weights"]), "yes" if row["installed"] else "no", runs_on, loaded


def _widths(rows: list[dict[str, Any]]) -> list[int]:
    header = ("  task", "  weights", "installed", "runs on", "loaded")
    cells = [header, *(_cells(row) for row in rows)]
    return [max(len(cell[i]) for cell in cells) for i in range(len(header))]


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()


def _styled(row: dict[str, Any], widths: list[int]) -> str:
    text = escape(_line(_cells(row), widths))
    if not row["installed"]:
        return f"[red]{text}[/red]" if row["serving"] else f"[dim]{text}[/dim]"
    return f"[bold]{text}[/bold]" if row["serving"] else text


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _print_notes(console: Console, listing: Listing) -> None:
    if listing.note:
        console.print(escape(listing.note))
    missing = sorted({str(row["weights"]) for row in listing.rows if row["serving"] and not row["installed"]})
    if missing:
        where = "on the server's machine" if listing.source else "here"
        console.print(f"not installed ({where}; outcrop models pull NAME installs them): " + ", ".join(missing))
    if listing.unbound:
        console.print("no local backend bound yet (requests answer AccessDeniedException): "
                      + ", ".join(listing.unbound))  # fmt: skip
