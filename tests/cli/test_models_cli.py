"""`outcrop models list` shows bindings and installation state."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from outcrop.cli.exits import EXIT_NO_SERVER, EXIT_PULL_FAILED
from outcrop.cli.main import cli
from outcrop.tasks import TaskKind
from support.live_server import LiveServer, free_port


def test_models_list_json(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTCROP_HOME", str(tmp_path))
    monkeypatch.setenv("OUTCROP_PORT", str(free_port()))  # no server answers at the default address
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
    assert listing["source"] == "local"


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
    assert "runs on" in lines[2] and "loaded" in lines[2]
    at = lines.index(next(line for line in lines if line.startswith(MODEL + " ")))
    words = lines[at + 1].split()
    assert words[:4] == ["EMBED", "*", "tiny-clip", "yes"] and words[-1] == "yes", lines[at + 1]


def test_the_default_catalogue_table_fits_100_columns(tmp_path, monkeypatch):
    # The default profile has the longest ids and weights names (amazon.nova-2-multimodal-embeddings-v1:0,
    # qwen2.5-coder-0.5b-instruct); nothing is folded or wrapped: each binding is one line.
    monkeypatch.setenv("OUTCROP_HOME", str(tmp_path))
    monkeypatch.setenv("OUTCROP_PORT", str(free_port()))  # no server answers at the default address
    result = CliRunner().invoke(cli, ["--profile", "default", "models", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 100
    listing = json.loads(CliRunner().invoke(cli, ["--profile", "default", "models", "list", "--json"]).output)
    binding_lines = [line for line in lines if line.startswith("  ") and line.split()[0].isupper()]
    assert len(binding_lines) == len(listing["bindings"])
    assert "amazon.nova-2-multimodal-embeddings-v1:0  Nova 2 Multimodal Embeddings" in lines


def test_with_a_url_the_listing_is_the_servers_catalogue(tiny_server, tmp_path, monkeypatch):
    """The client's own profile and models folder do not matter: the server's catalogue answers."""
    monkeypatch.setenv("OUTCROP_HOME", str(tmp_path))
    for args in (["--profile", "default", "--url", tiny_server.url], ["--profile", "default"]):
        env = {} if "--url" in args else {"OUTCROP_URL": tiny_server.url}
        result = CliRunner().invoke(cli, [*args, "models", "list", "--json"], env=env)
        assert result.exit_code == 0, result.output
        listing = json.loads(result.output)
        assert (listing["profile"], listing["source"], listing["server"]) == ("tiny", tiny_server.url, True)
        rows = {(r["model_id"], r["task"]): r for r in listing["bindings"] if r["serving"]}
        assert rows[("amazon.nova-lite-v1:0", "CONVERSE")]["weights"] == "tiny-llm"
        assert rows[("amazon.nova-lite-v1:0", "CONVERSE")]["device"] is not None
    table = CliRunner().invoke(cli, ["--profile", "default", "--url", tiny_server.url, "models", "list"])
    assert f"Outcrop models on {tiny_server.url} (profile: tiny)" in table.output


def test_without_a_url_the_local_catalogue_is_listed(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTCROP_HOME", str(tmp_path))
    monkeypatch.setenv("OUTCROP_PORT", str(free_port()))
    result = CliRunner().invoke(cli, ["--profile", "tiny", "models", "list"])
    assert result.exit_code == 0, result.output
    assert "Outcrop models in this machine's catalogue (profile: tiny)" in result.output
    assert "no server answers at http://127.0.0.1:" in result.output


def test_a_url_where_no_server_answers_exits_3(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTCROP_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["--url", f"http://127.0.0.1:{free_port()}", "models", "list"])
    assert result.exit_code == EXIT_NO_SERVER
    assert "no Outcrop server answers at" in result.output
