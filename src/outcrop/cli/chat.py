"""`outcrop chat`: one assistant turn from a text model (product copy and the like) through the native API."""

from __future__ import annotations

import json

import click
from rich.console import Console

from outcrop.cli.client import call


@click.command()
@click.argument("prompt")
@click.option("--system", "system", multiple=True, help="System prompt (repeatable).")
@click.option("--model", "model_id", default="amazon.nova-lite-v1:0", show_default=True)
@click.option("--max-tokens", type=int, default=None, help="Cap on generated tokens (model default 512).")
@click.option("--temperature", type=float, default=None)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the reply with token counts as JSON.")
@click.pass_context
def chat(ctx: click.Context, prompt: str, system: tuple[str, ...], model_id: str, max_tokens: int | None,
         temperature: float | None, seed: int, as_json: bool) -> None:  # fmt: skip
    """Ask a text model (Converse) and print its answer."""
    body = {"modelId": model_id, "messages": [{"role": "user", "text": prompt}], "system": list(system),
            "maxTokens": max_tokens, "temperature": temperature, "seed": seed}  # fmt: skip
    with Console(stderr=True).status(f"{model_id} is writing..."):
        reply = call(ctx, "POST", "/v1/chat", json=body, timeout=600)
    click.echo(json.dumps(reply) if as_json else reply["text"])
