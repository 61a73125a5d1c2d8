"""`outcrop worker`: a Celery worker process that runs async jobs of the given model-family queues."""

from __future__ import annotations

import click

from outcrop.cli.client import fail
from outcrop.cli.context import settings_from


@click.command()
@click.option("--queue", "queues", multiple=True, help="Model-family queue to serve (repeat; default: all).")
@click.option("--hostname", default=None, help="Celery node name (default: celery@<host>).")
@click.pass_context
def worker(ctx: click.Context, queues: tuple[str, ...], hostname: str | None) -> None:
    """Run jobs dispatched through OUTCROP_BROKER_URL (Redis), sharing job state via OUTCROP_JOBS_DSN."""
    settings = settings_from(ctx)
    if not settings.broker_url:
        fail("set OUTCROP_BROKER_URL (redis://host:port/0) to run a Celery worker", 2)
    # Imported here: `outcrop --help` should not pay for the server's modules.
    from outcrop.api.job_wiring import all_queues, job_runner, job_store, video_handler
    from outcrop.catalog import load_catalog
    from outcrop.jobs.celery_queue import run_worker
    from outcrop.runtime.executor import Executor
    from outcrop.safety.release import Provenance, VideoRelease
    from outcrop.safety.review import ReviewStore

    catalog = load_catalog(settings.profile, settings.models_dir, settings.catalog_file)
    executor = Executor(catalog, threads=settings.torch_threads)
    signer = Provenance(settings.keys_dir, settings.provenance_key, settings.c2pa_enabled, settings.c2pa_chain)
    review = ReviewStore(settings.home / "review", enabled=settings.review_enabled)
    release = VideoRelease(signer, review, settings.video_watermark_every)
    chosen = list(queues) or all_queues()
    runner = job_runner(settings, job_store(settings), video_handler(settings, catalog, executor, release), chosen)
    run_worker(settings.broker_url, runner, chosen, hostname=hostname)
