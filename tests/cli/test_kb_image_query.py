"""`outcrop kb search --image` takes a file, '-' (image bytes on stdin) or base64 (bare or a data: URI), all
finding the same item; anything else is a usage error (exit 2) naming the accepted forms."""

from __future__ import annotations

import base64
import json

import pytest
from click.testing import CliRunner
from PIL import Image

from outcrop.cli.exits import EXIT_USAGE
from outcrop.cli.main import cli


@pytest.fixture(scope="module")
def catalogue(tiny_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("query-photos")
    for name, colour in [("red.png", (220, 20, 20)), ("blue.png", (20, 20, 220))]:
        Image.new("RGB", (64, 64), colour).save(folder / name)
    kb_id = outcrop(tiny_server, "kb", "create", "image-queries").output.strip()
    assert outcrop(tiny_server, "kb", "ingest", kb_id, str(folder), "--json").exit_code == 0
    return kb_id, (folder / "red.png").read_bytes()


def outcrop(server, *args, stdin: bytes | None = None):
    return CliRunner().invoke(cli, ["--url", server.url, *args], input=stdin)


def top_hit(server, kb_id: str, image: str, stdin: bytes | None = None) -> str:
    result = outcrop(server, "kb", "search", kb_id, "--image", image, "--json", stdin=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)[0]["uri"]


def test_a_file_stdin_and_base64_find_the_same_item(tiny_server, catalogue, tmp_path):
    kb_id, red = catalogue
    (tmp_path / "query.png").write_bytes(red)
    encoded = base64.b64encode(red).decode()
    hits = {top_hit(tiny_server, kb_id, str(tmp_path / "query.png")), top_hit(tiny_server, kb_id, "-", red),
            top_hit(tiny_server, kb_id, encoded), top_hit(tiny_server, kb_id, "data:image/png;base64," + encoded)}  # fmt: skip
    assert len(hits) == 1 and hits.pop().endswith("red.png")


@pytest.mark.parametrize(
    ("value", "says"),
    [("missing-photo.png", "neither a file, '-' (image bytes on stdin), nor base64"),
     (base64.b64encode(b"plain text, not pixels").decode(), "is not a PNG or JPEG image")],
)  # fmt: skip
def test_anything_else_is_a_usage_error_naming_the_forms(tiny_server, catalogue, value, says):
    result = outcrop(tiny_server, "kb", "search", catalogue[0], "--image", value)
    assert result.exit_code == EXIT_USAGE
    assert says in result.output
