"""Settings for a CLI invocation: the environment (OUTCROP_*) overlaid by global options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from outcrop.settings import Settings


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    """Build Settings once per command; only options the user passed override the environment."""
    root = ctx.find_root().params
    values = {k: v for k, v in {**root, **overrides}.items() if v is not None and k in Settings.model_fields}
    if isinstance(values.get("home"), str):
        values["home"] = Path(values["home"])
    return Settings(**values)


home_option = click.option(
    "--home", type=click.Path(file_okay=False), default=None, help="State folder (default $OUTCROP_HOME or ~/.outcrop)."
)
profile_option = click.option(
    "--profile", default=None, help="Catalog profile: default (real models) or tiny (seeded tiny models)."
)
