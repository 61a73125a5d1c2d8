"""`outcrop watermark detect|embed`: check a file for Outcrop's invisible watermark, or add it (for testing)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from outcrop.cli.exits import EXIT_USAGE
from outcrop.safety import watermark as mark


@click.group()
def watermark() -> None:
    """Detect or embed the invisible watermark Outcrop puts on generated images."""


def _open(path: str) -> PILImage.Image:
    try:
        with PILImage.open(path) as image:
            image.load()
            return image
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        click.echo(f"error: cannot read {path} as an image ({exc})", err=True)
        sys.exit(EXIT_USAGE)


@watermark.command("detect")
@click.argument("file", type=click.Path(dir_okay=False))
def detect(file: str) -> None:
    """Print {"watermarked": bool, "confidence": fraction of payload bits matching} for an image FILE."""
    click.echo(json.dumps(mark.detect(_open(file)).as_dict()))


@watermark.command("embed")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("output", type=click.Path(dir_okay=False))
def embed(file: str, output: str) -> None:
    """Write FILE with the watermark to OUTPUT as PNG (images under 256x256 are copied unmarked)."""
    image = _open(file)
    if not mark.is_embeddable(image):
        click.echo(f"warning: {file} is {image.width}x{image.height}; under 256x256 it is left unmarked", err=True)
    mark.embed(image).save(Path(output), format="PNG")
    click.echo(output)
