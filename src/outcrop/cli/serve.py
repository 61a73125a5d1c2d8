"""`outcrop serve`: start the ASGI app with uvicorn."""

from __future__ import annotations

import logging

import click

from outcrop.cli.context import settings_from


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

    settings = settings_from(ctx, host=host, port=port, preload=preload or None)
    settings.home.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_app(settings)
    click.echo(f"Outcrop on http://{settings.host}:{settings.port} (profile {settings.profile}, home {settings.home})")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, h11_max_incomplete_event_size=None)
