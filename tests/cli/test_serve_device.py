"""`outcrop serve` resolves its device at start: one that is not there stops it with an error naming it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from outcrop.cli.exits import EXIT_BAD_DEVICE
from support.live_server import free_port


def serve(home, device: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OUTCROP_HOME": str(home), "OUTCROP_DEVICE": device, "OUTCROP_PROFILE": "tiny"}
    command = [sys.executable, "-m", "outcrop", "serve", "--port", str(free_port())]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_missing_cuda_stops_serve_at_start(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = serve(tmp_path, "cuda")
    assert result.returncode == EXIT_BAD_DEVICE
    assert "error: OUTCROP_DEVICE=cuda, but torch sees no CUDA device" in result.stderr
    assert "cuda available: False" in result.stderr


def test_malformed_device_stops_serve_at_start(tmp_path):
    result = serve(tmp_path, "gpu")
    assert result.returncode == EXIT_BAD_DEVICE
    assert "OUTCROP_DEVICE=gpu is not a device" in result.stderr
