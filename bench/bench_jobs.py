"""Async jobs: how many StartAsyncInvoke calls per second the API accepts, and the seconds each job spends
beyond the model's own time.

    python bench/bench_jobs.py [--jobs 300] [--clients 4] [--runs 3]

1. Accept rate. A tiny-profile server with no job workers (jobs stay queued, so only the API and the job store
   are measured) takes `--jobs` StartAsyncInvoke calls through boto3 from `--clients` threads. Reference in the
   same run: the bare SQLite JobStore.submit rate, the floor the API adds HTTP, SigV4-free parsing, Reel
   validation and the bucket check to.
2. Overhead per job. A server with one in-process worker runs a 6 s single-shot tiny job, polled every 50 ms
   through GetAsyncInvoke, from submit to Completed. The same video backend called directly on the same task
   (its frames only) is the model's own time; encoding 144 1280x720 frames, watermarking, signing and the
   staged commit are timed separately, and what is left is the job machinery's overhead (claim, lease,
   dispatch, polling granularity).
Outputs go to a local folder (file://) so the numbers are the server's, not an S3 server's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.live_server import start_server

CONFIG = {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": 1}
MODEL_INPUT = {
    "taskType": "TEXT_VIDEO",
    "textToVideoParams": {"text": "a kettle on a table"},
    "videoGenerationConfig": CONFIG,
}


def native_start(http: Any, output: str) -> str:
    """One start through a shared keep-alive client (a fresh httpx call per request would time TLS setup)."""
    body = {"modelId": "amazon.nova-reel-v1:0", "modelInput": MODEL_INPUT, "outputUri": output}
    job: dict[str, Any] = http.post("/v1/video/jobs", json=body).json()
    return str(job["id"])


def accept_rate(models: Path, jobs: int, clients: int) -> float:
    import httpx

    with tempfile.TemporaryDirectory() as home, start_server(Path(home), models, "tiny", job_workers=0) as server:
        output = (Path(home) / "out").as_uri()
        with httpx.Client(base_url=server.url, timeout=60) as http:
            native_start(http, output)  # warm-up: imports, first connection
            started = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(lambda _: native_start(http, output), range(jobs)))
            return jobs / (time.perf_counter() - started)


def store_rate(jobs: int) -> float:
    from outcrop.jobs import JobSpec, new_job_id
    from outcrop.jobs.sqlite import SqliteJobStore

    with tempfile.TemporaryDirectory() as folder:
        store = SqliteJobStore(Path(folder) / "jobs.sqlite")
        started = time.perf_counter()
        for i in range(jobs):
            spec = JobSpec("m", "arn", MODEL_INPUT, "file:///tmp", f"token-{i}", f"hash-{i}", "q")
            store.submit(spec, new_job_id(), f"arn-{i}", datetime.now(UTC))
        store.close()
        return jobs / (time.perf_counter() - started)


def job_seconds(models: Path, runs: int) -> list[float]:
    import httpx

    times = []
    with tempfile.TemporaryDirectory() as home, start_server(Path(home), models, "tiny") as server:
        output = (Path(home) / "out").as_uri()
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for _ in range(runs + 1):  # the first run loads the model
                started = time.perf_counter()
                job_id = native_start(http, output)
                while http.get(f"/v1/jobs/{job_id}").json()["status"] == "InProgress":
                    time.sleep(0.05)
                times.append(time.perf_counter() - started)
    return times[1:]


def model_and_finish_seconds(runs: int) -> tuple[float, float]:
    """Median backend time and median encode+watermark time for the same task, called directly."""
    from outcrop.backends.base import LoadSpec, no_progress
    from outcrop.backends.video import load
    from outcrop.families.nova_reel.body import parse_reel_input
    from outcrop.safety.release import VideoRelease
    from outcrop.tasks.video_codec import encode_mp4, retimed_frames

    backend = load(LoadSpec("tiny-video", None))
    task = parse_reel_input(MODEL_INPUT, "v1:0")
    marker = VideoRelease.__new__(VideoRelease)  # only `mark` is used: no keys or review store needed
    object.__setattr__(marker, "watermark_every", 12)
    model, finish = [], []
    for _ in range(runs + 1):
        started = time.perf_counter()
        result: Any = backend.run(task, no_progress)
        model.append(time.perf_counter() - started)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            frames = retimed_frames(result.shots[0], result.fps, 24, 6, (1280, 720))
            encode_mp4(marker.mark(frames), 24, Path(folder) / "o.mp4")
        finish.append(time.perf_counter() - started)
    return statistics.median(model[1:]), statistics.median(finish[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", type=Path, default=Path(".cache/models"))
    args = parser.parse_args()
    api = accept_rate(args.models, args.jobs, args.clients)
    floor = store_rate(args.jobs)
    print(f"accepted jobs/s through the API ({args.clients} clients): {api:8.1f}")
    print(f"SQLite JobStore.submit alone (reference):        {floor:8.1f}")
    total = statistics.median(job_seconds(args.models, args.runs))
    model, finish = model_and_finish_seconds(args.runs)
    print(f"6 s tiny job, submit -> Completed (median of {args.runs}): {total:6.2f} s")
    print(f"  model's own time (backend.run, same task):       {model:6.2f} s")
    print(f"  encode 144 frames + watermark (direct):          {finish:6.2f} s")
    print(f"  job machinery overhead (the rest):               {total - model - finish:6.2f} s")


if __name__ == "__main__":
    main()
