"""`outcrop embed`: one embedding vector of text and/or an image, from a running server."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from outcrop.api.native.task_models import DOCS
from outcrop.cli.image import open_client, sdk_call

DEFAULT_MODEL = "amazon.titan-embed-image-v1"


@click.command()
@click.option("--text", default=None, help=DOCS["text"])
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="PNG or JPEG file to embed")  # fmt: skip
@click.option("--dimensions", type=int, default=None, help=DOCS["dimension"] + " [default: the model's]")
@click.option("--model", "model_id", default=DEFAULT_MODEL, show_default=True, help="Bedrock embedding model id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also save the vector as a .npy file")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (for scripts)")
@click.pass_context
def embed(ctx: click.Context, text: str | None, image: Path | None, dimensions: int | None, model_id: str,
          out: Path | None, as_json: bool) -> None:  # fmt: skip
    """Embed --text, --image or both into one vector; prints it (or a summary with --out)."""
    if text is None and image is None:
        raise click.UsageError("give --text, --image or both.")
    with open_client(ctx) as client:
        result = sdk_call(lambda: client.embeddings.create(text, image, model_id=model_id, dimensions=dimensions), ctx)
    if out is not None:
        np.save(out, result.vector)
    if as_json:
        click.echo(json.dumps({"modelId": result.model_id, "dimensions": result.dimensions,
                               "embedding": result.vector.tolist(), "file": str(out) if out else None}))  # fmt: skip
    elif out is not None:
        click.echo(f"{result.dimensions} dimensions from {result.model_id} -> {out}")
    else:
        click.echo(" ".join(f"{v:.6f}" for v in result.vector))
