"""Every generated image through the wire is watermarked, signed (provenance verifies with the server's key) and
queued for review; only approved assets reach the release folder; the audit log has every action."""

from __future__ import annotations

import base64
import json

import pytest
from click.testing import CliRunner

from outcrop.cli.main import cli
from outcrop.safety import provenance
from support.live_server import start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory, models_dir):
    home = tmp_path_factory.mktemp("release-home")
    release = tmp_path_factory.mktemp("released")
    with start_server(home=home, models_dir=models_dir, profile="tiny", release_location=str(release)) as live:
        yield live, home, release


def generate(live, count: int) -> list[bytes]:
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a ceramic mug"},
            "imageGenerationConfig": {"numberOfImages": count, "width": 320, "height": 320, "seed": 11}}  # fmt: skip
    client = live.client("bedrock-runtime")
    reply = json.loads(client.invoke_model(modelId="amazon.nova-canvas-v1:0", body=json.dumps(body))["body"].read())
    return [base64.b64decode(b) for b in reply["images"]]


def cli_run(live, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--url", live.url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_generated_png_carries_a_verifiable_manifest(server, tmp_path):
    live, home, _ = server
    (png,) = generate(live, 1)
    key = provenance.load_public_key(provenance.public_key_file(home / "keys"))
    verdict = provenance.verify_png(png, [key])
    assert verdict.valid, verdict.reason
    assert verdict.manifest["modelId"] == "amazon.nova-canvas-v1:0"
    assert verdict.manifest["parameters"]["prompt"] == "a ceramic mug"
    assert "trainedAlgorithmicMedia" in verdict.digital_source_type
    (tmp_path / "out.png").write_bytes(png)
    result = CliRunner().invoke(cli, ["--home", str(home), "provenance", "verify", str(tmp_path / "out.png")])
    assert result.exit_code == 0, result.output


def test_review_gate_releases_only_approved_assets(server):
    live, home, release = server
    generate(live, 2)
    pending = list(json.loads(cli_run(live, "review", "list", "--status", "pending", "--json")))
    assert len(pending) >= 2
    keep, drop = pending[-1]["id"], pending[-2]["id"]
    cli_run(live, "review", "approve", keep, "--reviewer", "ana")
    cli_run(live, "review", "reject", drop, "--reviewer", "ana", "--reason", "logo visible")
    cli_run(live, "review", "release", keep)
    refused = CliRunner().invoke(cli, ["--url", live.url, "review", "release", drop])
    assert refused.exit_code == 1
    released = [p.name for p in release.iterdir()]
    assert any(keep in name for name in released)
    assert not any(drop in name for name in released)
    audit = [json.loads(line) for line in (home / "review" / "audit.jsonl").read_text().splitlines()]
    actions = [(e["action"], e["asset_id"]) for e in audit if e["asset_id"] in (keep, drop)]
    assert ("record", keep) in actions
    assert ("approve", keep) in actions
    assert ("reject", drop) in actions
    assert ("release", keep) in actions
    assert ("release", drop) not in actions
