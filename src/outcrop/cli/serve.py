"""`outcrop serve`: start the ASGI app with uvicorn."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from typing import TypeVar

import click

from outcrop.cli.client import fail
from outcrop.cli.context import settings_from
from outcrop.cli.exits import EXIT_BAD_DEVICE, EXIT_OPEN_NETWORK
from outcrop.runtime.devices import DeviceError, check_names
from outcrop.settings import Settings

T = TypeVar("T")


@click.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8686).")
@click.option("--preload", multiple=True, help="Model id to load at startup (repeatable), e.g. amazon.nova-lite-v1:0.")
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warning", "error"]))
@click.option("--insecure", is_flag=True, help="Serve a non-loopback host without credentials (anyone can use it).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, preload: tuple[str, ...], log_level: str,
          insecure: bool) -> None:  # fmt: skip
    """Start the Bedrock-compatible server."""
    import uvicorn

    from outcrop.api.app import build_app
    from outcrop.api.request_ids import install_log_field

    settings = settings_from(ctx, host=host, port=port, preload=preload or None)
    settings.home.mkdir(parents=True, exist_ok=True)
    _refuse_open_network(settings, insecure)
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


def _refuse_open_network(settings: Settings, insecure: bool) -> None:
    """Without credentials anyone who reaches the port can use the server (and its files): loopback only."""
    if insecure or settings.auth_configured or is_loopback(settings.host):
        return
    fail(
        f"refusing to serve {settings.host} without credentials: anyone who can reach it could run models, read "
        "ingested files and approve assets. Set OUTCROP_ACCESS_KEY_ID and OUTCROP_SECRET_ACCESS_KEY or create an "
        "API key (`outcrop keys create NAME`), bind 127.0.0.1, or pass --insecure on a network you trust.",
        EXIT_OPEN_NETWORK,
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _resolve_devices(resolve: Callable[[], T]) -> T:
    """Check OUTCROP_DEVICE / OUTCROP_DTYPE now: a device that is not there stops the server before it serves."""
    try:
        return resolve()
    except DeviceError as error:
        fail(str(error), EXIT_BAD_DEVICE)
