"""`outcrop serve`: start the ASGI app with uvicorn."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import click

from outcrop.cli.client import fail
from outcrop.cli.context import settings_from
from outcrop.runtime.devices import DeviceError, check_names

EXIT_BAD_DEVICE = 2
T = TypeVar("T")


@click.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8686).")
@click.option("--preload", multiple=True, help="Model id to load at startup (repeatable), e.g. amazon.nova-lite-v1:0.")
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warning", "error"]))
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, preload: tuple[str, ...], log_level: str) -> None:
    """Start the Bedrock-compatible server."""
    import uvicorn

    from outcrop.api.app import build_app
    from outcrop.api.request_ids import install_log_field

    settings = settings_from(ctx, host=host, port=port, preload=preload or None)
    settings.home.mkdir(parents=True, exist_ok=True)
    install_log_field()
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
    )
    _resolve_devices(lambda: check_names(settings.device, settings.dtype))  # a typo: before building anything
    app = build_app(settings)
    placement = _resolve_devices(app.state.outcrop.executor.devices.default)
    click.echo(f"Models run on {placement.device} in {placement.dtype}")
    click.echo(f"Outcrop on http://{settings.host}:{settings.port} (profile {settings.profile}, home {settings.home})")
    if settings.profile == "tiny":
        click.echo("The tiny profile serves every capability on seeded toy models built in code: outputs are noise.")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, h11_max_incomplete_event_size=None)


def _resolve_devices(resolve: Callable[[], T]) -> T:
    """Check OUTCROP_DEVICE / OUTCROP_DTYPE now: a device that is not there stops the server before it serves."""
    try:
        return resolve()
    except DeviceError as error:
        fail(str(error), EXIT_BAD_DEVICE)
