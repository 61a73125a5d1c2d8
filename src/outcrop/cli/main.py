"""Entry point of the `outcrop` command. Importing it never imports torch."""

from __future__ import annotations

import click

from outcrop import __version__
from outcrop.cli.chat import chat
from outcrop.cli.context import accept_global_options, home_option, profile_option, url_option
from outcrop.cli.demo import demo
from outcrop.cli.embed import embed
from outcrop.cli.image import image
from outcrop.cli.kb import kb
from outcrop.cli.keys import keys
from outcrop.cli.models import models
from outcrop.cli.provenance import provenance_group
from outcrop.cli.review import review
from outcrop.cli.serve import serve
from outcrop.cli.video import video
from outcrop.cli.watermark import watermark
from outcrop.cli.worker import worker


@click.group()
@click.version_option(__version__, prog_name="outcrop")
@home_option
@profile_option
@url_option
def cli(home: str | None, profile: str | None, url: str | None) -> None:
    """Outcrop: a self-hosted, Bedrock-compatible image and multimodal AI server."""


cli.add_command(serve)
cli.add_command(models)
cli.add_command(kb)
cli.add_command(image)
cli.add_command(embed)
cli.add_command(watermark)
cli.add_command(review)
cli.add_command(provenance_group)
cli.add_command(video)
cli.add_command(chat)
cli.add_command(worker)
cli.add_command(keys)
cli.add_command(demo)
accept_global_options(cli)


def main() -> None:
    cli()
