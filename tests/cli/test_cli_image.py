"""`outcrop image ...` and `outcrop embed` against the live tiny server."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner
from PIL import Image

from outcrop.cli.exits import EXIT_NO_SERVER
from outcrop.cli.main import cli
from support.live_server import free_port


def run(server, *args):
    return CliRunner().invoke(cli, ["--url", server.url, *args])


def test_generate_writes_pngs_and_prints_the_seed(tiny_server, tmp_path):
    result = run(tiny_server, "image", "generate", "a lamp", "--width", "320", "--height", "320", "--seed", "8",
                 "--number-of-images", "2", "--out", str(tmp_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("*.png"))
    assert [f.name for f in files] == ["generate-8.png", "generate-9.png"]
    assert Image.open(io.BytesIO(files[0].read_bytes())).size == (320, 320)
    assert "seed: 8" in result.output


def test_json_output_is_parseable(tiny_server, tmp_path):
    result = run(tiny_server, "image", "recolor", "a vase", "#FF0000", "#0000FF", "--width", "320", "--height", "320",
                 "--out", str(tmp_path), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["seed"] == 42 and summary["blocked"] == 0
    assert all(path.endswith(".png") for path in summary["files"])


def test_image_file_options(tiny_server, tmp_path):
    source = tmp_path / "photo.png"
    Image.new("RGB", (320, 320), (90, 120, 30)).save(source)
    result = run(tiny_server, "image", "inpaint", str(source), "--mask-prompt", "the middle", "--prompt", "a cat",
                 "--width", "320", "--height", "320", "--out", str(tmp_path / "out"), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["files"]) == 1


def test_validation_error_exits_1_with_the_code(tiny_server, tmp_path):
    result = run(tiny_server, "image", "generate", "a lamp", "--width", "333", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "error: ValidationException" in result.output


def test_no_server_exits_3(tmp_path):
    result = CliRunner().invoke(cli, ["--url", f"http://127.0.0.1:{free_port()}", "image", "generate", "x",
                                      "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == EXIT_NO_SERVER
    assert "no Outcrop server answers" in result.output


def test_embed_json(tiny_server):
    result = run(tiny_server, "embed", "--text", "a lamp", "--dimensions", "256", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["dimensions"] == len(body["embedding"]) == 256


def test_embed_needs_an_input(tiny_server):
    assert run(tiny_server, "embed").exit_code == 2
