"""Video jobs through the SDK and the CLI against a live tiny-profile server (local-folder output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from outcrop.cli.exits import EXIT_JOB_FAILED
from outcrop.cli.main import cli
from outcrop.sdk import Client
from outcrop.tasks.video_codec import probe_mp4
from support.live_server import LiveServer

MODEL_INPUT = {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "a paper boat"},
               "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": 4}}  # fmt: skip


def test_sdk_create_wait_download(tiny_server: LiveServer, tmp_path: Path) -> None:
    seen: list[float] = []
    with Client(tiny_server.url) as client:
        job = client.video.create(MODEL_INPUT, model_id="amazon.nova-reel-v1:0")
        view = job.wait(poll_s=0.2, on_progress=lambda v: seen.append(v.progress), timeout=240)
        assert view.status == "Completed", view.failure_message
        video = job.download(tmp_path)
        listed, _ = client.video.list(status="Completed")
    assert seen == sorted(seen) and seen[-1] == 100
    assert job.id in [j.id for j in listed]
    info = probe_mp4(video)
    assert (info.frames, info.width, info.height) == (144, 1280, 720)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "output.mp4"]


def test_cli_create_wait_downloads_the_video(tiny_server: LiveServer, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--url", tiny_server.url, "video", "create", "a paper boat", "--seed", "5",
                                 "--wait", "--out", str(tmp_path), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    job: dict[str, Any] = json.loads(result.output.strip().splitlines()[-1])
    assert job["status"] == "Completed"
    assert probe_mp4(Path(job["downloaded"])).frames == 144
    status = runner.invoke(cli, ["--url", tiny_server.url, "video", "status", job["id"]])
    assert status.exit_code == 0 and "Completed" in status.output


def test_cli_cancel_stops_a_long_job(tiny_server: LiveServer) -> None:
    runner = CliRunner()
    started = runner.invoke(cli, ["--url", tiny_server.url, "video", "create", "A kettle. A cup. Steam.",
                                  "--duration", "120"])  # fmt: skip
    assert started.exit_code == 0, started.output
    job_id = started.output.strip()
    cancelled = runner.invoke(cli, ["--url", tiny_server.url, "video", "cancel", job_id])
    assert cancelled.exit_code == 0, cancelled.output
    with Client(tiny_server.url) as client:
        view = client.video.get(job_id).wait(poll_s=0.2, timeout=120)
    assert view.status == "Failed" and "Cancelled" in (view.failure_message or "")
    failed = runner.invoke(cli, ["--url", tiny_server.url, "video", "wait", job_id])
    assert failed.exit_code == EXIT_JOB_FAILED and "Cancelled" in failed.output
