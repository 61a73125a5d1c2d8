"""The CLI's HTTP client for the native API: clear messages and exit codes for every failure."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click
import httpx

from outcrop.cli.context import given_options, settings_from
from outcrop.cli.exits import EXIT_API_ERROR, EXIT_NO_SERVER
from outcrop.sdk.auth import default_auth


def base_url(ctx: click.Context) -> str:
    url = given_options(ctx).get("url")
    if url:
        return str(url).rstrip("/")
    settings = settings_from(ctx)
    return f"http://{settings.host}:{settings.port}"


def call(ctx: click.Context, method: str, path: str, **kwargs: Any) -> Any:
    """One request; on failure print `error: <Code>: <message>` and exit non-zero."""
    url = base_url(ctx)
    try:
        response = httpx.request(method, url + path, timeout=kwargs.pop("timeout", 120), auth=default_auth(), **kwargs)
    except httpx.ConnectError:
        fail(f"no Outcrop server answers at {url}; start one with `outcrop serve` or pass --url.", EXIT_NO_SERVER)
    if response.status_code >= 400:
        try:
            body = response.json()
            message = f"{body.get('__type', response.status_code)}: {body.get('message', body)}"
        except ValueError:
            message = f"HTTP {response.status_code}: {response.text[:500]}"
        fail(message, EXIT_API_ERROR)
    return response.json() if response.content else None


def fail(message: str, code: int = EXIT_API_ERROR) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
