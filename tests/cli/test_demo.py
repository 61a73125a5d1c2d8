"""`outcrop demo` end to end against the live tiny server: every step runs, nothing existing is overwritten."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outcrop.cli import demo
from outcrop.cli.demo_photos import copy_catalogue
from outcrop.cli.exits import EXIT_API_ERROR, EXIT_NO_SERVER
from outcrop.cli.main import cli
from outcrop.sdk import Client
from support.live_server import LiveServer, free_port


def run_demo(server: LiveServer, home: Path) -> Result:
    return CliRunner().invoke(cli, ["--url", server.url, "demo"], env={"OUTCROP_HOME": str(home)})


def made_name(result: Result) -> str:
    found = re.search(r"Demo (demo-[0-9a-f]{6}): ", result.output)
    assert found, result.output
    return found.group(1)


def test_demo_runs_every_step_and_a_second_run_overwrites_nothing(tiny_server: LiveServer, tmp_path: Path) -> None:
    first = run_demo(tiny_server, tmp_path)
    assert first.exit_code == 0, first.output
    name = made_name(first)
    folder = tmp_path / "demo" / name
    assert "noise from seeded tiny models" in first.output
    for index, title in enumerate(("knowledge base", "search", "generate", "edit", "video", "review", "UI"), 1):
        line = next(line for line in first.output.splitlines() if line.startswith(f"{index}. {title}: "))
        assert "FAILED" not in line and "skipped" not in line, line
    assert "6 photos" in first.output and "top hit" in first.output
    assert (folder / "outputs" / "generate.png").read_bytes().startswith(b"\x89PNG")
    assert (folder / "outputs" / "remove-background.png").is_file()
    assert list((folder / "outputs").glob("*/output.mp4"))
    assert "review approve" in first.output and f"{tiny_server.url}/ui/" in first.output

    second = run_demo(tiny_server, tmp_path)
    assert second.exit_code == 0, second.output
    other = made_name(second)
    assert other != name and (folder / "photos" / "coffee.png").is_file()
    with Client(tiny_server.url) as client:
        kbs = {kb.name: kb for kb in client.knowledge_bases.list()}
    assert kbs[name].items == kbs[other].items == 6


def test_a_failed_step_prints_the_servers_message_and_the_demo_goes_on(
    tiny_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "IMAGE_MODEL", "amazon.no-such-model-v1:0")
    monkeypatch.setattr(demo, "STEPS", [("search", demo.search), ("generate", demo.generate), ("UI", demo.ui)])
    result = run_demo(tiny_server, tmp_path)
    assert result.exit_code == EXIT_API_ERROR, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("1. search: skipped: no knowledge base") for line in lines), result.output
    failed = next(line for line in lines if line.startswith("2. generate: FAILED: "))
    assert "ValidationException: The provided model identifier is invalid" in failed
    assert any(line.startswith("3. UI: open ") for line in lines) and "1 of 3 steps failed" in result.output


def test_without_sample_photos_it_makes_gradients_and_says_so(tmp_path: Path) -> None:
    catalogue = copy_catalogue(tmp_path / "photos", data=tmp_path / "nothing-here")
    assert not catalogue.real and "generated" in catalogue.source
    assert len(catalogue.photos) == 5 and all(p.is_file() for p in catalogue.photos)


def test_no_server_exits_3(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--url", f"http://127.0.0.1:{free_port()}", "demo", "--folder", str(tmp_path)])
    assert result.exit_code == EXIT_NO_SERVER and "no Outcrop server answers" in result.output
    assert not list(tmp_path.iterdir())
