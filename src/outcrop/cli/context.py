"""Settings for a CLI invocation: the environment (OUTCROP_*) overlaid by global options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from outcrop.settings import Settings


def given_options(ctx: click.Context) -> dict[str, Any]:
    """Options the user passed anywhere on the command line, the innermost command's winning: `outcrop --profile
    tiny serve` and `outcrop serve --profile tiny` mean the same."""
    chain = []
    while ctx is not None:
        chain.append(ctx)
        ctx = ctx.parent  # type: ignore[assignment]
    values: dict[str, Any] = {}
    meta = chain[0].meta if chain else {}
    for level in reversed(chain):
        values.update({k: v for k, v in level.params.items() if v is not None})
    return {**values, **meta.get(_AFTER_COMMAND, {})}


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    """Build Settings once per command; only options the user passed override the environment."""
    given = {**given_options(ctx), **overrides}
    values = {k: v for k, v in given.items() if v is not None and k in Settings.model_fields}
    if isinstance(values.get("home"), str):
        values["home"] = Path(values["home"])
    return Settings(**values)


home_option = click.option(
    "--home", type=click.Path(file_okay=False), default=None, help="State folder (default $OUTCROP_HOME or ~/.outcrop)."
)
profile_option = click.option(
    "--profile", default=None, help="Catalog profile: default (real models) or tiny (seeded tiny models)."
)
url_option = click.option(
    "--url", envvar="OUTCROP_URL", default=None, help="Server for client commands (default http://HOST:PORT)."
)
GLOBAL_OPTIONS = (home_option, profile_option, url_option)
_AFTER_COMMAND = "outcrop.options-after-command"


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None and param.name is not None:
        ctx.meta.setdefault(_AFTER_COMMAND, {})[param.name] = value


def accept_global_options(command: click.Command) -> None:
    """Give every subcommand the group's options too, so they may follow the subcommand's name; their values
    go to the context's meta (not the command function's arguments) and `given_options` reads them."""
    if isinstance(command, click.Group):
        for child in command.commands.values():
            accept_global_options(child)
        return
    names = {param.name for param in command.params}
    for option in GLOBAL_OPTIONS:
        (template,) = option(click.Command("template")).params
        if template.name not in names:
            command.params.append(_after_command_copy(template))


def _after_command_copy(template: click.Parameter) -> click.Option:
    assert isinstance(template, click.Option)
    return click.Option(template.opts, default=None, help=template.help, type=template.type, expose_value=False,
                        callback=_remember)  # fmt: skip
