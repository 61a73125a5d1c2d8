"""`outcrop models pull`: progress for each download, a rerun that resumes an interrupted one, a checksum that
refuses a wrong file, and rich bars (bytes, rate, time left) on a terminal."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from outcrop.catalog.sources.progress import metered
from outcrop.cli.exits import EXIT_PULL_FAILED
from outcrop.cli.main import cli
from outcrop.cli.pull_progress import pull_display
from support.file_server import Served, serving

CONTENT = os.urandom(2_500_000)


def catalog_with(home: Path, url: str, sha256: str) -> None:
    """An overlay catalogue naming weights served over HTTP by the test's server."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "catalog.toml").write_text(
        "[weights.test-weights]\n"
        'description = "a test file"\nlicense = "none"\nfiles = ["w.bin"]\nsize_mb = 2\n'
        f'sources = [{{ kind = "url", url = "{url}", file = "w.bin", sha256 = "{sha256}" }}]\n'
    )


def pull(home: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--home", str(home), "models", "pull", "test-weights"])
    return result.exit_code, result.output


def test_pull_shows_progress_and_a_rerun_resumes(tmp_path):
    home = tmp_path / "home"
    with serving(Served({"/w.bin": CONTENT}, cut_after=1_000_000)) as served:
        catalog_with(home, served.url + "/w.bin", hashlib.sha256(CONTENT).hexdigest())
        code, output = pull(home)
        assert code == EXIT_PULL_FAILED, output
        assert "the 1.0 MB received are kept and the next pull resumes" in output
        code, output = pull(home)
    assert code == 0, output
    assert served.ranges == [None, "bytes=1000000-"]
    assert "(resuming after 1.0 MB)" in output and "w.bin: 2.5 MB (" in output
    installed = home / "models" / "test-weights"
    assert (installed / "w.bin").read_bytes() == CONTENT
    assert json.loads((installed / ".outcrop-weights.json").read_text())["source"]["kind"] == "url"
    assert not [p for p in (home / "models").iterdir() if p.name.startswith(".partial")]


def test_a_wrong_checksum_fails_with_exit_7_and_installs_nothing(tmp_path):
    home = tmp_path / "home"
    with serving(Served({"/w.bin": CONTENT})) as served:
        catalog_with(home, served.url + "/w.bin", "0" * 64)
        code, output = pull(home)
    assert code == EXIT_PULL_FAILED
    assert "expected " + "0" * 64 + "; the file was discarded" in output
    assert not (home / "models" / "test-weights").exists()


def test_a_terminal_gets_bars_with_bytes_rate_and_time_left():
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100, color_system=None)
    with pull_display(console) as log:
        log("fetching test-weights from url")
        with metered(log, "w.bin", 400_000_000, 100_000_000) as meter:  # 100 MB were there from an earlier pull
            for _ in range(3):
                time.sleep(0.02)  # the rate is measured between updates
                meter.advance(50_000_000)
    last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue().split("\r")[-1])  # the bar as last drawn
    assert "fetching test-weights from url" in screen.getvalue()
    assert last.split()[0] == "w.bin" and "250.0/400.0 MB" in last, last
    assert re.search(r"\d+(\.\d+)? [kMG]?B/s", last) and re.search(r"\d:\d\d:\d\d", last), last


def test_a_pipe_gets_lines_instead_of_bars():
    screen = io.StringIO()
    console = Console(file=screen, width=100)  # not a terminal
    with pull_display(console) as log, metered(log, "w.bin", 1000, 0) as meter:
        for _ in range(10):
            meter.advance(100)
    lines = screen.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [f"w.bin: {n}0% of 1.0 kB" for n in range(1, 10)] + [
        "w.bin: 1.0 kB"
    ]
