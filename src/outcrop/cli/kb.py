"""`outcrop kb ...`: knowledge bases through a running server's native API."""

from __future__ import annotations

import base64
import binascii
import json
import sys
import time
from pathlib import Path
from typing import Any

import click
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from outcrop.cli import heatmap
from outcrop.cli.client import call, fail


@click.group()
def kb() -> None:
    """Create knowledge bases, ingest images and documents, search and recommend."""


@kb.command()
@click.argument("name")
@click.option("--model", "model_id", default="amazon.titan-embed-image-v1", show_default=True)
@click.option("--dimension", type=int, default=1024, show_default=True)
@click.option("--description", default="")
@click.option("--index", type=click.Choice(["embedded", "pgvector"]), default="embedded", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the new knowledge base as JSON.")
@click.pass_context
def create(ctx: click.Context, name: str, model_id: str, dimension: int, description: str, index: str,
           as_json: bool) -> None:  # fmt: skip
    """Create a knowledge base; prints its id."""
    spec = {"name": name, "model_id": model_id, "dimension": dimension, "description": description, "index": index}
    created = call(ctx, "POST", "/v1/knowledge-bases", json=spec)
    click.echo(json.dumps(created) if as_json else created["id"])


@kb.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_kbs(ctx: click.Context, as_json: bool) -> None:
    """List knowledge bases."""
    found = call(ctx, "GET", "/v1/knowledge-bases")["knowledgeBases"]
    if as_json:
        click.echo(json.dumps(found))
        return
    table = Table("id", "name", "model", "dim", "index", "items")
    for row in found:
        table.add_row(row["id"], row["name"], row["modelId"], str(row["dimension"]), row["index"], str(row["items"]))
    Console().print(table)


@kb.command()
@click.argument("kb_id")
@click.pass_context
def delete(ctx: click.Context, kb_id: str) -> None:
    """Delete a knowledge base and its index."""
    call(ctx, "DELETE", f"/v1/knowledge-bases/{kb_id}")
    click.echo(f"deleted {kb_id}")


@kb.command()
@click.argument("kb_id")
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print the final report as JSON (no progress bar).")
@click.pass_context
def ingest(ctx: click.Context, kb_id: str, source: str, as_json: bool) -> None:
    """Ingest a folder (read by the server) or an s3:// prefix; only added or changed files are embedded."""
    if not source.startswith("s3://"):
        source = str(Path(source).expanduser().resolve())
    run = call(ctx, "POST", f"/v1/knowledge-bases/{kb_id}/ingestions", json={"source": source})
    run = _follow(ctx, kb_id, run, show=not as_json)
    if as_json:
        click.echo(json.dumps(run))
    else:
        report = run["report"]
        click.echo(", ".join(f"{k} {report.get(k, 0)}" for k in ("added", "changed", "deleted", "unchanged", "failed")))
    if run["status"] != "COMPLETE":
        fail(f"ingestion {run['status']}: {run['error']}")
    _show_failures(run["report"].get("failures", []))


def _show_failures(failures: list[str], shown: int = 20) -> None:
    for reason in failures[:shown]:
        click.echo(f"failed: {reason}", err=True)
    if len(failures) > shown:
        click.echo(f"... and {len(failures) - shown} more (--json lists them all)", err=True)


def _follow(ctx: click.Context, kb_id: str, run: dict[str, Any], show: bool) -> dict[str, Any]:
    columns = (TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not show, transient=False) as bar:
        task = bar.add_task("ingest", total=run["report"].get("total", 0))
        while run["status"] == "IN_PROGRESS":
            time.sleep(0.2)
            run = call(ctx, "GET", f"/v1/knowledge-bases/{kb_id}/ingestions/{run['id']}")
            bar.update(task, completed=run["report"].get("done", 0), total=run["report"].get("total", 0))
    return run


@kb.command()
@click.argument("kb_id")
@click.option("--text", help="Text query.")
@click.option("--image", help="Image query: a file, '-' for the image bytes on stdin, or base64 (bare or data: URI).")
@click.option("-k", "k", type=int, default=5, show_default=True)
@click.option(
    "--filter", "where", help='Bedrock filter JSON, e.g. \'{"equals": {"key": "category", "value": "shoes"}}\''
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search(ctx: click.Context, kb_id: str, text: str | None, image: str | None, k: int, where: str | None,
           as_json: bool) -> None:  # fmt: skip
    """Search by text or by image."""
    body: dict[str, Any] = {"k": k, "text": text}
    if image:
        body["image"] = query_image(image)
    if where:
        body["filter"] = json.loads(where)
    _print_results(call(ctx, "POST", f"/v1/knowledge-bases/{kb_id}/search", json=body)["results"], as_json)


_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG


def query_image(value: str) -> str:
    """The query image as bare base64: read from a file, from stdin ('-'), or given as base64 (a data: URI's
    prefix is dropped). Anything else is a usage error saying which forms are accepted."""
    path = Path(value).expanduser()
    if value == "-":
        raw = sys.stdin.buffer.read()
    elif path.is_file():
        raw = path.read_bytes()
    else:
        raw = _base64_image(value.split(",", 1)[1] if value.startswith("data:") and "," in value else value)
    if not raw.startswith(_IMAGE_MAGIC):
        raise click.BadParameter(f"{_shown(value)} is not a PNG or JPEG image.", param_hint="--image")
    return base64.b64encode(raw).decode()


def _base64_image(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise click.BadParameter(
            f"{_shown(text)} is neither a file, '-' (image bytes on stdin), nor base64 of a PNG or JPEG image.",
            param_hint="--image",
        ) from None


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


@kb.command()
@click.argument("kb_id")
@click.argument("items", nargs=-1, required=True)
@click.option("--not", "negative", multiple=True, help="An item to steer away from (repeatable).")
@click.option("-k", "k", type=int, default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def recommend(ctx: click.Context, kb_id: str, items: tuple[str, ...], negative: tuple[str, ...], k: int,
              as_json: bool) -> None:  # fmt: skip
    """More like ITEMS (item ids, source URIs or file paths)."""
    body = {"positive": [_item_ref(i) for i in items], "negative": [_item_ref(i) for i in negative], "k": k}
    _print_results(call(ctx, "POST", f"/v1/knowledge-bases/{kb_id}/recommend", json=body)["results"], as_json)


@kb.command("heatmap")
@click.argument("kb_id")
@click.argument("items", nargs=-1, required=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="PNG file to write.")
@click.pass_context
def heatmap_command(ctx: click.Context, kb_id: str, items: tuple[str, ...], out: str) -> None:
    """Pairwise cosine similarity of ITEMS, drawn as a heatmap PNG."""
    reply = call(ctx, "POST", f"/v1/knowledge-bases/{kb_id}/similarity", json={"items": [_item_ref(i) for i in items]})
    labels = [Path(item["uri"]).name + (f"#{item['chunk']}" if item["chunk"] else "") for item in reply["items"]]
    heatmap.render(labels, np.asarray(reply["matrix"]), Path(out))
    click.echo(out)


def _item_ref(ref: str) -> str:
    """A local path becomes the file:// URI the server recorded; ids and URIs pass through."""
    path = Path(ref).expanduser()
    return path.resolve().as_uri() if path.exists() else ref


def _print_results(results: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(results))
        return
    table = Table("score", "kind", "source", "text")
    for r in results:
        table.add_row(f"{r['score']:.3f}", r["kind"], r["uri"], (r["text"] or "")[:60])
    Console().print(table)
