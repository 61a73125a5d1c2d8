"""JobRunner, WorkerPool and Reaper on a real SQLite store, with handlers that are test doubles (no model)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outcrop.errors import ValidationError
from outcrop.jobs import CANCELLED_MESSAGE, Job, JobSpec, JobStatus, new_job_id
from outcrop.jobs.pool import WorkerPool
from outcrop.jobs.reaper import Reaper
from outcrop.jobs.runner import JobContext, JobRunner, RunnerConfig
from outcrop.jobs.sqlite import SqliteJobStore

QUEUE = "nova-reel-v1-1"


@pytest.fixture
def store(tmp_path: Path) -> SqliteJobStore:
    return SqliteJobStore(tmp_path / "jobs.sqlite")


def submit(store: SqliteJobStore, token: str = "t") -> Job:
    spec = JobSpec("m", "arn:m", {"x": 1}, "file:///tmp/out", token, f"hash-{token}", QUEUE)
    job_id = new_job_id()
    job, _ = store.submit(spec, job_id, f"arn:aws:bedrock:us-east-1:123456789012:async-invoke/{job_id}",
                          datetime.now(UTC))  # fmt: skip
    return job


def runner(store: SqliteJobStore, handler, owner: str = "w1", lease_s: float = 0.3) -> JobRunner:  # type: ignore[no-untyped-def]
    return JobRunner(store, handler, RunnerConfig(owner, [QUEUE], lease_s=lease_s))


def test_success_completes_with_full_progress(store: SqliteJobStore) -> None:
    job = submit(store)

    def handler(job: Job, context: JobContext) -> None:
        context.progress(0.5)

    done = runner(store, handler).run_next()
    assert done is not None and (done.id, done.status, done.progress) == (job.id, JobStatus.COMPLETED, 1.0)


def test_errors_fail_the_job_with_their_message(store: SqliteJobStore) -> None:
    submit(store, "a")
    submit(store, "b")

    def refuses(job: Job, context: JobContext) -> None:
        raise ValidationError("the image must be 1280x720")

    def crashes(job: Job, context: JobContext) -> None:
        raise RuntimeError("out of memory")

    first = runner(store, refuses).run_next()
    second = runner(store, crashes).run_next()
    assert first is not None and (first.status, first.failure_message) == (
        JobStatus.FAILED,
        "the image must be 1280x720",
    )
    assert (
        second is not None and second.failure_message == "Internal error while generating: RuntimeError: out of memory"
    )


def test_cancel_stops_the_handler_at_its_next_progress_report(store: SqliteJobStore) -> None:
    job = submit(store)
    started = threading.Event()

    def slow(job: Job, context: JobContext) -> None:
        started.set()
        for step in range(200):
            context.progress(step / 200)
            time.sleep(0.02)

    thread = threading.Thread(target=runner(store, slow).run_next)
    thread.start()
    started.wait(5)
    store.cancel(job.id, datetime.now(UTC))
    thread.join(10)
    final = store.get(job.id)
    assert final is not None and (final.status, final.failure_message) == (JobStatus.FAILED, CANCELLED_MESSAGE)


def test_a_worker_that_lost_its_lease_cannot_finish_the_job(store: SqliteJobStore) -> None:
    job = submit(store)
    frozen = threading.Event()

    def stalls(job: Job, context: JobContext) -> None:
        frozen.wait(5)  # like a process paused (SIGSTOP, swap storm) past its lease
        context.progress(0.9)

    slow = runner(store, stalls, owner="w1", lease_s=0.3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(JobRunner, "_heartbeat", lambda self, context, stop: None)  # its heartbeat is silent too
        thread = threading.Thread(target=slow.run_next)
        thread.start()
        time.sleep(0.5)
        later = datetime.now(UTC) + timedelta(seconds=1)
        taken = store.claim("w2", [QUEUE], 30, later)
        assert taken is not None and taken.id == job.id
        patch.undo()
    frozen.set()
    thread.join(10)
    current = store.get(job.id)
    assert current is not None and (current.status, current.owner, current.attempts) == (JobStatus.IN_PROGRESS, "w2", 2)


def test_pool_runs_every_job_once(store: SqliteJobStore) -> None:
    jobs = [submit(store, f"t{i}") for i in range(6)]
    ran: list[str] = []
    lock = threading.Lock()

    def handler(job: Job, context: JobContext) -> None:
        with lock:
            ran.append(job.id)

    pool = WorkerPool(runner(store, handler), threads=3, idle_poll_s=0.05)
    pool.start()
    deadline = time.monotonic() + 10
    while len(ran) < len(jobs) and time.monotonic() < deadline:
        time.sleep(0.02)
    pool.stop(5)
    assert sorted(ran) == sorted(j.id for j in jobs)


def test_reaper_sends_stale_jobs_again(store: SqliteJobStore) -> None:
    job = submit(store)
    store.claim("dead-worker", [QUEUE], 0.01, datetime.now(UTC))
    time.sleep(0.05)
    sent: list[str] = []

    class Recorder:
        def dispatch(self, job: Job) -> None:
            sent.append(job.id)

    assert Reaper(store, Recorder(), lease_s=0.01).sweep() == 1
    assert sent == [job.id]
