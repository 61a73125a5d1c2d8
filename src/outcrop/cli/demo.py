"""`outcrop demo`: a guided first run against a server: catalogue photos, search, generate, edit, a video job,
the review queue, and where to look in the UI. Each step prints one line; a failed step prints the server's message
and the demo goes on where the next step does not depend on it."""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from outcrop.cli.client import base_url, call, fail
from outcrop.cli.context import settings_from
from outcrop.cli.demo_photos import EDITED_PHOTO, Catalogue, copy_catalogue
from outcrop.cli.exits import EXIT_API_ERROR, EXIT_NO_SERVER
from outcrop.cli.video import model_input
from outcrop.sdk import Client, OutcropAPIError, VideoJob
from outcrop.sdk import calls as sdk_calls
from outcrop.sdk.types import GeneratedImages, Ingestion

SEARCH_TEXT = "a cup of coffee"
PROMPT = "a red ceramic mug on a wooden table, soft window light"
VIDEO_PROMPT = "steam rising from a cup of coffee, slow dolly in"
IMAGE_MODEL = "amazon.nova-canvas-v1:0"
VIDEO_MODEL = "amazon.nova-reel-v1:1"
TIMEOUT_S = 900.0  # one request on real weights on a CPU can take minutes


class StepSkippedError(Exception):
    """The step cannot run here (the server's configuration, or an earlier step failed); not a failure."""


@dataclass
class DemoRun:
    client: Client
    url: str
    name: str  # the knowledge base's name, also the run's folder name
    folder: Path
    video_timeout_s: float
    catalogue: Catalogue | None = None
    kb_id: str | None = None
    review_ids: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # lines printed under the step's result line

    def tell(self, line: str) -> None:
        self.details.append("   " + line)

    @property
    def outputs(self) -> Path:
        path = self.folder / "outputs"
        path.mkdir(parents=True, exist_ok=True)
        return path


@click.command()
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Parent of this run's folder (default $OUTCROP_HOME/demo); each run makes a new demo-XXXXXX "
                   "folder in it, so nothing is overwritten.")  # fmt: skip
@click.option("--video-timeout", type=float, default=1800.0, show_default=True,
              help="Seconds to wait for the video job (then its id is printed to follow it).")  # fmt: skip
@click.pass_context
def demo(ctx: click.Context, folder: Path | None, video_timeout: float) -> None:
    """A guided start against a running server (--url or OUTCROP_URL): build a knowledge base from sample photos,
    search it, generate an image, edit a photo, run a Nova Reel video job, show the review queue, and print where
    the UI is. Nothing existing is touched: the knowledge base gets a new name (demo-XXXXXX) and its own folder.

    The quickest server: `outcrop serve --profile tiny` in another terminal (seeded tiny models: every step runs in
    seconds, and the outputs are noise, not results).
    """
    url = base_url(ctx)
    health = call(ctx, "GET", "/health")  # exits 3 with the usual message when no server answers
    if health.get("profile") == "tiny":
        click.echo("This server runs the tiny profile: its outputs are noise from seeded tiny models, not results.")
    with Client(url, timeout=TIMEOUT_S) as client:
        name = _new_name(client)
        parent = folder if folder is not None else settings_from(ctx).home / "demo"
        run = DemoRun(client, url, name, parent.expanduser().resolve() / name, video_timeout)
        run.folder.mkdir(parents=True, exist_ok=False)
        click.echo(f"Demo {name}: files in {run.folder}")
        failed = sum(not _step(index, title, action, run) for index, (title, action) in enumerate(STEPS, start=1))
    if failed:
        click.echo(f"{failed} of {len(STEPS)} steps failed (above, with the server's message).", err=True)
        sys.exit(EXIT_API_ERROR)


def _new_name(client: Client) -> str:
    """demo-<6 hex digits> that no knowledge base on this server has yet."""
    try:
        taken = {kb.name for kb in client.knowledge_bases.list()}
    except OutcropAPIError as error:
        fail(f"{error.code}: {error.message}")
    while (name := f"demo-{secrets.token_hex(3)}") in taken:
        pass
    return name


def _step(index: int, title: str, action: Callable[[DemoRun], str], run: DemoRun) -> bool:
    """Run one step and print its line; True unless it failed (a skipped step did not fail)."""
    started = time.monotonic()
    try:
        outcome, ok = action(run), True
    except StepSkippedError as reason:
        outcome, ok = f"skipped: {reason}", True
    except OutcropAPIError as error:
        outcome, ok = f"FAILED: {error.code}: {error.message}", False
    except httpx.ConnectError:
        fail(f"the server at {run.url} stopped answering; start it again and rerun `outcrop demo`.", EXIT_NO_SERVER)
    except (httpx.TimeoutException, TimeoutError) as error:
        outcome, ok = f"FAILED: no answer in time ({error})", False
    click.echo(f"{index}. {title}: {outcome} ({time.monotonic() - started:.1f} s)")
    for line in run.details:
        click.echo(line)
    run.details.clear()
    return ok


def knowledge_base(run: DemoRun) -> str:
    run.catalogue = copy_catalogue(run.folder / "photos")
    if not run.catalogue.real:
        run.tell(f"note: no sample photos found; these are {run.catalogue.source}")
    kb = run.client.knowledge_bases.create(run.name, description="outcrop demo: sample photos")
    run.kb_id = kb.id
    ingestion = _ingest(run, run.folder / "photos")
    report = ingestion.report or {}
    if ingestion.status != "COMPLETE":
        raise OutcropAPIError("IngestionFailed", 500, f"ingestion {ingestion.status}: {ingestion.error}")
    failures = report.get("failures") or []
    if failures:
        raise OutcropAPIError("IngestionFailed", 500, f"{len(failures)} photo(s) failed: {failures[0]}")
    return f"{run.name} ({kb.id}), {report.get('added', 0)} photos from {run.catalogue.source} ingested"


def _ingest(run: DemoRun, source: Path) -> Ingestion:
    ingestion = run.client.send(sdk_calls.kb_ingest(run.kb_id or "", str(source)))
    columns = (TextColumn("   ingesting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True, disable=not _on_terminal()) as bar:
        task = bar.add_task("ingest", total=(ingestion.report or {}).get("total", 0))
        while ingestion.status == "IN_PROGRESS":
            time.sleep(0.2)
            ingestion = run.client.send(sdk_calls.kb_ingestion(run.kb_id or "", ingestion.id))
            report = ingestion.report or {}
            bar.update(task, completed=report.get("done", 0), total=report.get("total", 0))
    return ingestion


def _on_terminal() -> bool:
    return Console().is_terminal  # progress bars only where they redraw in place; a log gets the result lines


def search(run: DemoRun) -> str:
    if run.kb_id is None:
        raise StepSkippedError("no knowledge base (step 1 failed)")
    hits = run.client.knowledge_bases.search(run.kb_id, SEARCH_TEXT, k=3)
    for hit in hits:
        run.tell(f"{hit.score or 0.0:.3f}  {Path(hit.uri).name}")
    top = Path(hits[0].uri).name if hits else "nothing"
    return f'"{SEARCH_TEXT}" -> top hit {top} of {len(hits)}'


def generate(run: DemoRun) -> str:
    result = run.client.images.generate(PROMPT, model_id=IMAGE_MODEL, width=512, height=512, seed=7)
    return _saved(run, result, "generate")


def edit(run: DemoRun) -> str:
    photos = run.catalogue.photos if run.catalogue is not None else []
    chosen = next((p for p in photos if p.name == EDITED_PHOTO), photos[0] if photos else None)
    if chosen is None:
        raise StepSkippedError("no photos to edit (step 1 failed)")
    result = run.client.images.remove_background(chosen, model_id=IMAGE_MODEL)
    return f"background removed from {chosen.name}: " + _saved(run, result, "remove-background")


def _saved(run: DemoRun, result: GeneratedImages, stem: str) -> str:
    run.review_ids += result.review_asset_ids
    if not result.pngs:
        raise OutcropAPIError("NoImage", 200, f"no image came back ({result.blocked} withheld by the content filter)")
    path = run.outputs / f"{stem}.png"
    path.write_bytes(result.pngs[0])  # the signed file as the server made it
    held = " (held for review)" if result.review_asset_ids else ""
    return f"{path}{held}"


def video(run: DemoRun) -> str:
    job = _start_video(run, model_input(VIDEO_PROMPT, None, (), 6, 42))
    with Progress(TextColumn(f"   video {job.id}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), transient=True, disable=not _on_terminal()) as bar:  # fmt: skip
        task = bar.add_task("video", total=100)
        try:
            view = job.wait(poll_s=0.5, timeout=run.video_timeout_s,
                            on_progress=lambda v: bar.update(task, completed=v.progress))  # fmt: skip
        except TimeoutError:
            raise TimeoutError(f"job {job.id} still running; follow it with `outcrop video wait {job.id}`") from None
    if view.status != "Completed":
        raise OutcropAPIError("JobFailed", 200, f"job {job.id} {view.status}: {view.failure_message}")
    local = run.outputs / job.id / "output.mp4"
    path = local if local.is_file() else job.download(run.outputs / job.id)
    return f"job {job.id}: {path}"


def _start_video(run: DemoRun, body: dict[str, Any]) -> VideoJob:
    """Output next to the photos if the server may write there, else in the server's own artifacts folder."""
    refused = ""
    for output in (run.outputs.as_uri(), None):
        try:
            return run.client.video.create(body, model_id=VIDEO_MODEL, output_uri=output)
        except OutcropAPIError as error:
            if error.code != "AccessDeniedException":
                raise
            refused = error.message
    raise StepSkippedError(f"the server allows job output in no local folder: {refused}")


def review(run: DemoRun) -> str:
    pending = run.client.review.list("pending")
    if not pending:
        return "no assets held: this server releases outputs without review (OUTCROP_REVIEW_ENABLED is off)"
    ours = [asset for asset in pending if asset.id in run.review_ids] or pending
    for asset in ours[:3]:
        run.tell(f"{asset.id}  {asset.kind}  {asset.model_id}")
    run.tell(f"approve one: outcrop --url {run.url} review approve {ours[0].id} --reviewer <your name>")
    return f"{len(pending)} assets pending, {len(run.review_ids)} of them this demo's images"


def ui(run: DemoRun) -> str:
    run.tell(f'Search: knowledge base {run.name}, try "{SEARCH_TEXT}" or a photo, then "more like this"')
    run.tell("Generate and Edit: the same prompt and photo, every parameter; Video: the job and its playback")
    run.tell("Review: approve or reject what this demo made")
    return f"open {run.url}/ui/"


STEPS: list[tuple[str, Callable[[DemoRun], str]]] = [
    ("knowledge base", knowledge_base),
    ("search", search),
    ("generate", generate),
    ("edit", edit),
    ("video", video),
    ("review", review),
    ("UI", ui),
]
