"""`outcrop provenance verify`: check a PNG's signed Outcrop manifest and its IPTC digital source type."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from outcrop.cli.context import settings_from
from outcrop.cli.exits import EXIT_INVALID, EXIT_OK
from outcrop.safety import provenance


@click.group("provenance")
def provenance_group() -> None:
    """Verify the provenance manifest Outcrop signs into generated images."""


@provenance_group.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", "key", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Trusted Ed25519 public key PEM (default: the local development key under --home).")  # fmt: skip
@click.pass_context
def verify(ctx: click.Context, file: str, key: str | None) -> None:
    """Print the verification as JSON; exit 0 when the manifest is valid, 8 when missing or tampered."""
    key_path = Path(key) if key else provenance.public_key_file(keys_dir(ctx))
    if not key_path.exists():
        click.echo(f"error: no public key at {key_path}; pass --key PUB.pem", err=True)
        sys.exit(EXIT_INVALID)
    result = provenance.verify_png(Path(file).read_bytes(), [provenance.load_public_key(key_path)])
    click.echo(json.dumps(result.as_dict()))
    sys.exit(EXIT_OK if result.valid else EXIT_INVALID)


def keys_dir(ctx: click.Context) -> Path:
    """Where the server keeps its development signing key: $OUTCROP_HOME/keys."""
    return settings_from(ctx).home / "keys"
