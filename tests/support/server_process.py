"""`outcrop serve` / `outcrop worker` as real child processes, so tests can SIGKILL them mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

LAUNCH = "from outcrop.cli.main import main; main()"


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Its own process group, so a SIGKILL takes the whole process down at once, like a crash or OOM kill."""
    with log.open("ab") as sink:
        return subprocess.Popen([sys.executable, "-c", LAUNCH, *args], env={**os.environ, **env},
                                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} during startup")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy in {timeout_s} s")


def kill_hard(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            kill_hard(process)


def poll_job(url: str, job_id: str, until: Callable[[dict[str, Any]], bool], timeout_s: float = 240) -> dict[str, Any]:
    """GET /v1/jobs/{id} every 0.2 s until `until(job)` holds; fails the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job: dict[str, Any] = httpx.get(f"{url}/v1/jobs/{job_id}", timeout=10).json()
        if until(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} never reached the expected state")
