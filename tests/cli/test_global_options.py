"""--home, --profile and --url read the same before and after the subcommand's name."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner

from outcrop.cli.exits import EXIT_NO_SERVER
from outcrop.cli.main import cli
from support.live_server import free_port


@pytest.mark.parametrize(
    "args",
    [
        ["--profile", "tiny", "models", "list"],
        ["models", "list", "--profile", "tiny"],
        ["models", "list", "--profile=tiny"],
    ],
)
def test_profile_before_or_after_the_subcommand(tmp_path, args):
    result = CliRunner().invoke(cli, [*args, "--home", str(tmp_path)], env={"OUTCROP_PROFILE": "default"})
    assert result.exit_code == 0, result.output
    assert "profile: tiny" in result.output


def test_the_option_after_the_subcommand_wins(tmp_path):
    result = CliRunner().invoke(
        cli, ["--profile", "default", "models", "list", "--profile", "tiny", "--home", str(tmp_path)]
    )
    assert "profile: tiny" in result.output


def test_url_after_a_client_subcommand(tmp_path):
    port = free_port()  # nothing listens there: the error names the URL that was asked for
    result = CliRunner().invoke(cli, ["kb", "list", "--url", f"http://127.0.0.1:{port}"])
    assert result.exit_code == EXIT_NO_SERVER
    assert f"http://127.0.0.1:{port}" in result.output


def test_serve_with_the_profile_after_serve_starts_that_profile(tmp_path):
    port = free_port()
    env = {**os.environ, "OUTCROP_HOME": str(tmp_path)}
    env.pop("OUTCROP_PROFILE", None)
    command = [sys.executable, "-m", "outcrop", "serve", "--profile", "tiny", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        health = _wait_for_health(port, process)
        assert health["profile"] == "tiny"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for_health(port: int, process: subprocess.Popen[str]) -> dict:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json()
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("outcrop serve did not answer /health within 90 s")
