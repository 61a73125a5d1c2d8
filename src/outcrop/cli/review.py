"""`outcrop review ...`: the human review gate through a running server's native API."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click
import httpx
from rich.console import Console
from rich.table import Table

from outcrop.cli.client import base_url, call, fail
from outcrop.sdk.auth import default_auth


@click.group()
def review() -> None:
    """List generated assets held for review; approve, reject, release or download them."""


@review.command("list")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the assets as JSON.")
@click.pass_context
def list_assets(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """List held assets (all, or those with one status)."""
    found = call(ctx, "GET", "/v1/review/assets", params={"status": status} if status else None)["assets"]
    if as_json:
        click.echo(json.dumps(found))
        return
    table = Table("id", "status", "model", "kind", "type", "reviewer")
    for asset in found:
        table.add_row(asset["id"], asset["status"], asset["modelId"], asset["kind"], asset["mediaType"],
                      asset["reviewer"] or "")  # fmt: skip
    Console(width=200).print(table)


# The reviewer defaults to the login name so that the audit log always says who decided.
_reviewer = click.option("--reviewer", default=getpass.getuser, show_default="login name", help="Who decides.")


@review.command()
@click.argument("asset_id")
@_reviewer
@click.option("--note", default=None)
@click.pass_context
def approve(ctx: click.Context, asset_id: str, reviewer: str, note: str | None) -> None:
    """Approve a pending asset."""
    asset = call(ctx, "POST", f"/v1/review/assets/{asset_id}/approve", json={"reviewer": reviewer, "note": note})
    click.echo(f"{asset['id']} {asset['status']}")


@review.command()
@click.argument("asset_id")
@_reviewer
@click.option("--reason", required=True, help="Why it is rejected (recorded in the audit log).")
@click.pass_context
def reject(ctx: click.Context, asset_id: str, reviewer: str, reason: str) -> None:
    """Reject a pending asset; it can never be released."""
    asset = call(ctx, "POST", f"/v1/review/assets/{asset_id}/reject", json={"reviewer": reviewer, "reason": reason})
    click.echo(f"{asset['id']} {asset['status']}")


@review.command()
@click.argument("asset_id")
@click.pass_context
def release(ctx: click.Context, asset_id: str) -> None:
    """Copy an approved asset to the server's release location; prints where it went."""
    asset = call(ctx, "POST", f"/v1/review/assets/{asset_id}/release")
    click.echo(asset["releasedTo"])


@review.command()
@click.argument("asset_id")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the asset's bytes here.")
@click.pass_context
def show(ctx: click.Context, asset_id: str, out: str | None) -> None:
    """Print an asset's record as JSON; with --out also save its content."""
    asset = call(ctx, "GET", f"/v1/review/assets/{asset_id}")
    if out:
        Path(out).write_bytes(_content(ctx, asset_id))
    click.echo(json.dumps(asset))


def _content(ctx: click.Context, asset_id: str) -> bytes:
    # `call` decodes every answer as JSON; this endpoint answers the asset's raw bytes, so it is fetched here.
    response = httpx.get(f"{base_url(ctx)}/v1/review/assets/{asset_id}/content", timeout=120, auth=default_auth())
    if response.status_code >= 400:
        fail(f"HTTP {response.status_code}: {response.text[:500]}")
    return response.content
