"""`outcrop models list` shows bindings and installation state."""

from __future__ import annotations

import json

from click.testing import CliRunner

from outcrop.cli.main import cli


def test_models_list_json(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTCROP_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["--profile", "tiny", "models", "list", "--json"])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.output)
    rows = {(r["model_id"], r["task"]): r for r in listing["bindings"]}
    assert rows[("amazon.nova-lite-v1:0", "CONVERSE")]["installed"] is True
    assert rows[("amazon.nova-canvas-v1:0", "REMOVE_BACKGROUND")]["installed"] is False
    assert rows[("amazon.nova-reel-v1:1", "TEXT_TO_VIDEO")]["weights"] == "tiny-video"  # built in: installed
    assert rows[("amazon.nova-reel-v1:1", "TEXT_TO_VIDEO")]["installed"] is True
    assert "amazon.nova-reel-v1:0" not in listing["unbound"]


def test_models_pull_unknown_exits_nonzero(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTCROP_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["models", "pull", "no-such-weights"])
    assert result.exit_code == 1
    assert "unknown weights or model" in result.output
