"""`outcrop video ...`: Nova Reel jobs through a running server's native API, with a progress bar."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from outcrop.cli.client import base_url, call, fail
from outcrop.cli.exits import EXIT_API_ERROR, EXIT_JOB_FAILED
from outcrop.sdk.auth import default_auth

SHOT_SECONDS = 6


@click.group()
def video() -> None:
    """Generate videos as durable async jobs (Nova Reel): create, status, wait, list, cancel."""


def model_input(prompt: str, image: Path | None, shots: tuple[str, ...], duration: int, seed: int) -> dict[str, Any]:
    """The Nova Reel modelInput for these options: one shot, several given shots, or one long prompt split."""
    config: dict[str, Any] = {"fps": 24, "dimension": "1280x720", "seed": seed}
    if shots:
        return {"taskType": "MULTI_SHOT_MANUAL", "multiShotManualParams": {"shots": [{"text": s} for s in shots]},
                "videoGenerationConfig": config}  # fmt: skip
    if duration > SHOT_SECONDS:
        return {"taskType": "MULTI_SHOT_AUTOMATED", "multiShotAutomatedParams": {"text": prompt},
                "videoGenerationConfig": {**config, "durationSeconds": duration}}  # fmt: skip
    params: dict[str, Any] = {"text": prompt}
    if image is not None:
        encoded = base64.b64encode(image.read_bytes()).decode()
        params["images"] = [{"format": "jpeg" if image.suffix.lower() in (".jpg", ".jpeg") else "png",
                             "source": {"bytes": encoded}}]  # fmt: skip
    return {"taskType": "TEXT_VIDEO", "textToVideoParams": params,
            "videoGenerationConfig": {**config, "durationSeconds": SHOT_SECONDS}}  # fmt: skip


@video.command()
@click.argument("prompt", required=False, default="")
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="1280x720 first frame.")
@click.option("--shot", "shots", multiple=True, help="One shot's prompt (repeat for a multi-shot video).")
@click.option("--duration", type=int, default=SHOT_SECONDS, show_default=True, help="Seconds (12-120: multi-shot).")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--model", "model_id", default="amazon.nova-reel-v1:1", show_default=True)
@click.option("--output-uri", default=None, help="s3://bucket/prefix or file:///dir (default: the server's).")
@click.option("--wait", "wait_for", is_flag=True, help="Wait with a progress bar and download the video.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@click.pass_context
def create(ctx: click.Context, prompt: str, image: Path | None, shots: tuple[str, ...], duration: int, seed: int,
           model_id: str, output_uri: str | None, wait_for: bool, out: Path, as_json: bool) -> None:  # fmt: skip
    """Start a video job; prints its id (or waits for it with --wait)."""
    if not prompt and not shots:
        fail("give a PROMPT, or --shot once per shot", EXIT_API_ERROR)
    body = {"modelId": model_id, "modelInput": model_input(prompt, image, shots, duration, seed),
            "outputUri": output_uri}  # fmt: skip
    job = call(ctx, "POST", "/v1/video/jobs", json=body)
    if wait_for:
        _wait(ctx, job["id"], out, as_json)
    else:
        click.echo(json.dumps(job) if as_json else job["id"])


@video.command()
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, job_id: str, as_json: bool) -> None:
    """Show a job's status and progress."""
    job = call(ctx, "GET", f"/v1/jobs/{job_id}")
    if as_json:
        click.echo(json.dumps(job))
        return
    click.echo(f"{job['id']}  {job['status']}  {job['progress']:.0f}%  {job['outputUri']}")
    if job["failureMessage"]:
        click.echo(f"failure: {job['failureMessage']}")


@video.command()
@click.argument("job_id")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def wait(ctx: click.Context, job_id: str, out: Path, as_json: bool) -> None:
    """Wait for a job with a progress bar, then download its output.mp4 into --out."""
    _wait(ctx, job_id, out, as_json)


@video.command("list")
@click.option("--status", "status_", type=click.Choice(["InProgress", "Completed", "Failed"]), default=None)
@click.option("--max", "max_results", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_jobs(ctx: click.Context, status_: str | None, max_results: int, as_json: bool) -> None:
    """List jobs, newest first."""
    params: dict[str, Any] = {"maxResults": max_results, **({"status": status_} if status_ else {})}
    jobs = call(ctx, "GET", "/v1/jobs", params=params)["jobs"]
    if as_json:
        click.echo(json.dumps(jobs))
        return
    table = Table("id", "model", "status", "progress", "submitted")
    for job in jobs:
        table.add_row(job["id"], job["modelId"], job["status"], f"{job['progress']:.0f}%", job["submitTime"])
    Console().print(table)


@video.command()
@click.argument("job_id")
@click.pass_context
def cancel(ctx: click.Context, job_id: str) -> None:
    """Cancel a job (a running one stops at its next step)."""
    job = call(ctx, "POST", f"/v1/jobs/{job_id}/cancel")
    click.echo(f"{job['id']}  {job['status']}")


def _wait(ctx: click.Context, job_id: str, out: Path, as_json: bool, poll_s: float = 1.0) -> None:
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), transient=as_json) as bar:  # fmt: skip
        task = bar.add_task(job_id, total=100)
        job = call(ctx, "GET", f"/v1/jobs/{job_id}")
        while job["status"] == "InProgress":
            bar.update(task, completed=job["progress"])
            time.sleep(poll_s)
            job = call(ctx, "GET", f"/v1/jobs/{job_id}")
        bar.update(task, completed=100 if job["status"] == "Completed" else job["progress"])
    if job["status"] != "Completed":
        fail(f"job {job_id} failed: {job['failureMessage']}", EXIT_JOB_FAILED)
    path = _download(ctx, job_id, out)
    click.echo(json.dumps({**job, "downloaded": str(path)}) if as_json else str(path))


def _download(ctx: click.Context, job_id: str, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{job_id}.mp4"
    with httpx.stream(
        "GET", f"{base_url(ctx)}/v1/jobs/{job_id}/files/output.mp4", timeout=120, auth=default_auth()
    ) as response:
        if response.status_code >= 400:
            fail(f"download failed: HTTP {response.status_code}", EXIT_API_ERROR)
        with path.open("wb") as sink:
            for chunk in response.iter_bytes():
                sink.write(chunk)
    return path
