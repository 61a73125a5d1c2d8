"""`outcrop models list` shows bindings and installation state."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from outcrop.cli.exits import EXIT_PULL_FAILED
from outcrop.cli.main import cli
from outcrop.tasks import TaskKind
from support.live_server import LiveServer


def test_models_list_json(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTCROP_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["--profile", "tiny", "models", "list", "--json"])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.output)
    rows = {(r["model_id"], r["task"], r["weights"]): r for r in listing["bindings"]}
    assert rows[("amazon.nova-lite-v1:0", "CONVERSE", "tiny-llm")]["installed"] is True
    # Background removal prefers the real small ISNet (not pulled here) and falls back to the built-in toy model.
    small = rows[("amazon.nova-canvas-v1:0", "REMOVE_BACKGROUND", "isnet-general-small")]
    toy = rows[("amazon.nova-canvas-v1:0", "REMOVE_BACKGROUND", "tiny-isnet")]
    assert (small["installed"], small["serving"], toy["installed"], toy["serving"]) == (False, False, True, True)
    rows = {(r["model_id"], r["task"]): r for r in listing["bindings"]}
    assert rows[("amazon.nova-reel-v1:1", "TEXT_TO_VIDEO")]["weights"] == "tiny-video"  # built in: installed
    assert rows[("amazon.nova-reel-v1:1", "TEXT_TO_VIDEO")]["installed"] is True
    assert "amazon.nova-reel-v1:0" not in listing["unbound"]
    assert listing["server"] is False and rows[("amazon.nova-lite-v1:0", "CONVERSE")]["resident"] is None


def test_models_pull_unknown_exits_nonzero(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTCROP_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["models", "pull", "no-such-weights"])
    assert result.exit_code == EXIT_PULL_FAILED
    assert "unknown weights or model" in result.output


MODEL = "amazon.titan-embed-image-v1"  # tiny-clip in the tiny profile


def outcrop(server: LiveServer, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--profile", "tiny", "--url", server.url, *args])


def embed_row(server: LiveServer) -> dict[str, Any]:
    result = outcrop(server, "models", "list", "--json")
    assert result.exit_code == 0, result.output
    listing = json.loads(result.output)
    assert listing["server"] is True
    [row] = [r for r in listing["bindings"] if r["model_id"] == MODEL and r["task"] == "EMBED" and r["serving"]]
    return row


def test_load_pin_unpin_unload_through_the_cli(tiny_server):
    where = tiny_server.server.config.app.state.outcrop.executor.devices.default()
    loaded = outcrop(tiny_server, "models", "load", MODEL)
    assert loaded.exit_code == 0, loaded.output
    assert f"{MODEL} EMBED: tiny-clip loaded on {where.device} ({where.dtype}, " in loaded.output
    row = embed_row(tiny_server)
    assert (row["resident"], row["device"], row["dtype"]) == (True, where.device, where.dtype)
    assert "tiny-clip pinned on" in outcrop(tiny_server, "models", "pin", MODEL).output
    assert embed_row(tiny_server)["pinned"] is True
    assert "tiny-clip loaded on" in outcrop(tiny_server, "models", "unpin", MODEL).output
    assert "tiny-clip not loaded on" in outcrop(tiny_server, "models", "unload", MODEL).output
    assert embed_row(tiny_server)["resident"] is False


def test_unload_of_a_busy_model_fails_with_the_conflict(tiny_server):
    executor = tiny_server.server.config.app.state.outcrop.executor
    assert outcrop(tiny_server, "models", "load", MODEL).exit_code == 0
    key = executor.binding_key(executor.catalog.resolve(MODEL), TaskKind.EMBED)
    executor.residency.reserve(key)  # what a queued task does
    try:
        result = outcrop(tiny_server, "models", "unload", MODEL)
    finally:
        executor.residency.release(key)
    assert result.exit_code == 1 and "ConflictException" in result.output


def test_models_table_shows_placement_within_100_columns(tiny_server):
    assert outcrop(tiny_server, "models", "load", MODEL).exit_code == 0
    result = outcrop(tiny_server, "models", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert any("runs on" in line for line in lines) and any("yes" in line.split("│")[-2] for line in lines[4:])
