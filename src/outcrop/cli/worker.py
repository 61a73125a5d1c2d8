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
    from outcrop.jobs.celery_queue import run_worker
    from outcrop.services import build_services
    from outcrop.services.job_wiring import all_queues

    services = build_services(settings)  # the server's own root: same executor, devices, review and release
    chosen = list(queues) or all_queues()
    try:
        run_worker(settings.broker_url, services.job_workers.runner_for(chosen), chosen, hostname=hostname)
    finally:
        services.close()
