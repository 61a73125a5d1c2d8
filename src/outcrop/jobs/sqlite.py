"""The JobStore in one SQLite file, shared by the API server and worker processes on one machine.

WAL lets readers run beside the one writer; every transition runs in a BEGIN IMMEDIATE transaction, which takes the
write lock before reading, so two claimers never read the same free job. Times are stored as integer microseconds
since the epoch (UTC): exact, and ordered the way the keyset paging compares them.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import sqlite3
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path

from outcrop.database import Database
from outcrop.jobs import paging, rules
from outcrop.jobs.model import Job, JobPage, JobQuery, JobSpec, JobStatus
from outcrop.jobs.store import CANCELLED_MESSAGE

BUSY_TIMEOUT_MS = 30_000  # wait this long for another process's write transaction before "database is locked"
MAX_MESSAGE = 2048
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = (
    "id, arn, model_id, model_arn, model_input, output_uri, client_request_token, request_hash, queue, tags, status,"
    " submit_time, last_modified_time, end_time, failure_message, progress, attempts, owner, lease_expires,"
    " cancel_requested"
)
_MARKS = ", ".join("?" * len(_COLUMNS.split(",")))
_SCHEMA = """
CREATE TABLE IF NOT EXISTS outcrop_jobs (
    id TEXT PRIMARY KEY, arn TEXT NOT NULL, model_id TEXT NOT NULL, model_arn TEXT NOT NULL,
    model_input TEXT NOT NULL, output_uri TEXT NOT NULL, client_request_token TEXT NOT NULL,
    request_hash TEXT NOT NULL, queue TEXT NOT NULL, tags TEXT NOT NULL, status TEXT NOT NULL,
    submit_time INTEGER NOT NULL, last_modified_time INTEGER NOT NULL, end_time INTEGER, failure_message TEXT,
    progress REAL NOT NULL, attempts INTEGER NOT NULL, owner TEXT, lease_expires INTEGER,
    cancel_requested INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS outcrop_jobs_token ON outcrop_jobs (client_request_token);
CREATE INDEX IF NOT EXISTS outcrop_jobs_submitted ON outcrop_jobs (submit_time, id);
CREATE INDEX IF NOT EXISTS outcrop_jobs_status_submitted ON outcrop_jobs (status, submit_time, id);
CREATE INDEX IF NOT EXISTS outcrop_jobs_claim ON outcrop_jobs (queue, submit_time, id) WHERE status = 'InProgress';
"""
# a transition a worker makes applies only while it still holds the job
_HELD = "id = ? AND owner = ? AND status = 'InProgress'"
_FINISH = "status = ?, failure_message = ?, end_time = ?, last_modified_time = ?, owner = NULL, lease_expires = NULL"


class SqliteJobStore:
    def __init__(self, path: Path) -> None:
        self._database = Database(path, _SCHEMA)
        self._database.connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._database.connection.row_factory = sqlite3.Row

    def submit(self, spec: JobSpec, job_id: str, arn: str, now: datetime) -> tuple[Job, bool]:
        now = _utc(now)
        job = Job(job_id, arn, spec, JobStatus.IN_PROGRESS, now, now)
        with self._database.transaction() as db:
            existing = _one(db, "client_request_token = ?", spec.client_request_token)
            if existing is not None:
                return rules.same_request(existing, spec), False
            db.execute(f"INSERT INTO outcrop_jobs ({_COLUMNS}) VALUES ({_MARKS})", _row(job))
        return job, True

    def get(self, job_id: str) -> Job | None:
        with self._database.lock:
            return _one(self._database.connection, "id = ?", job_id)

    def list(self, query: JobQuery) -> JobPage:
        page = paging.window(query, "?", _micros)
        statement = f"SELECT {_COLUMNS} FROM outcrop_jobs WHERE {page.where} ORDER BY {page.order_by} LIMIT ?"
        with self._database.lock:
            rows = self._database.connection.execute(statement, [*page.params, page.limit]).fetchall()
        return paging.make_page(query, [_job(row) for row in rows])

    def counts(self) -> dict[JobStatus, int]:
        with self._database.lock:
            rows = self._database.connection.execute("SELECT status, count(*) FROM outcrop_jobs GROUP BY status")
            return rules.status_counts(rows.fetchall())

    def claim(
        self,
        owner: str,
        queues: Collection[str],
        lease_s: float,
        now: datetime,
        *,
        job_id: str | None = None,
        max_attempts: int = 3,
    ) -> Job | None:
        if not queues:
            return None
        now = _utc(now)
        with self._database.transaction() as db:
            while (job := _candidate(db, list(queues), now, job_id)) is not None:
                refusal = rules.refusal(job, max_attempts)
                if refusal is None:
                    return _take(db, job, owner, now + timedelta(seconds=lease_s), now)
                _finish(db, job, JobStatus.FAILED, refusal, now)
        return None

    def heartbeat(self, job_id: str, owner: str, progress: float, lease_s: float, now: datetime) -> bool:
        lease = now + timedelta(seconds=lease_s)
        assignments = "lease_expires = ?, progress = ?, last_modified_time = ?"
        params = (_micros(lease), rules.clamped(progress), _micros(now))
        return self._held_update(assignments, params, job_id, owner, also="cancel_requested = 0")

    def complete(self, job_id: str, owner: str, now: datetime) -> bool:
        params = (JobStatus.COMPLETED.value, None, _micros(now), _micros(now))
        return self._held_update(f"{_FINISH}, progress = 1.0", params, job_id, owner)

    def fail(self, job_id: str, owner: str, message: str, now: datetime) -> bool:
        params = (JobStatus.FAILED.value, message[:MAX_MESSAGE], _micros(now), _micros(now))
        return self._held_update(_FINISH, params, job_id, owner)

    def release(self, job_id: str, owner: str, now: datetime) -> bool:
        # a job whose cancel was requested while held is not handed back: it ends cancelled, as an unowned one would
        assignments = (
            "owner = NULL, lease_expires = NULL, attempts = MAX(attempts - 1, 0), last_modified_time = ?,"
            " status = CASE WHEN cancel_requested THEN ? ELSE status END,"
            " failure_message = CASE WHEN cancel_requested THEN ? ELSE failure_message END,"
            " end_time = CASE WHEN cancel_requested THEN ? ELSE end_time END"
        )
        params = (_micros(now), JobStatus.FAILED.value, CANCELLED_MESSAGE, _micros(now))
        return self._held_update(assignments, params, job_id, owner)

    def cancel(self, job_id: str, now: datetime) -> Job | None:
        now = _utc(now)
        with self._database.transaction() as db:
            job = _one(db, "id = ?", job_id)
            if job is None or job.status is not JobStatus.IN_PROGRESS:
                return job
            if rules.held(job, now):
                db.execute(
                    "UPDATE outcrop_jobs SET cancel_requested = 1, last_modified_time = ? WHERE id = ?",
                    (_micros(now), job_id),
                )
                return dataclasses.replace(job, cancel_requested=True, last_modified_time=now)
            return _finish(db, job, JobStatus.FAILED, CANCELLED_MESSAGE, now)

    def stale(self, now: datetime, unclaimed_for_s: float) -> builtins.list[Job]:  # `list` is a method here
        unclaimed_since = now - timedelta(seconds=unclaimed_for_s)
        condition = (
            "status = 'InProgress' AND ((owner IS NOT NULL AND lease_expires <= ?)"
            " OR (owner IS NULL AND submit_time < ?)) ORDER BY submit_time, id"
        )
        with self._database.lock:
            rows = _select(self._database.connection, condition, _micros(now), _micros(unclaimed_since))
        return [_job(row) for row in rows]

    def close(self) -> None:
        self._database.close()

    def _held_update(
        self, assignments: str, params: tuple[object, ...], job_id: str, owner: str, *, also: str = "1 = 1"
    ) -> bool:
        with self._database.transaction() as db:
            statement = f"UPDATE outcrop_jobs SET {assignments} WHERE {_HELD} AND {also}"
            return db.execute(statement, (*params, job_id, owner)).rowcount == 1


def _candidate(db: sqlite3.Connection, queues: list[str], now: datetime, job_id: str | None) -> Job | None:
    """The oldest job in `queues` that nobody holds: never claimed, released, or its holder's lease ran out."""
    marks = ", ".join("?" * len(queues))
    condition = f"status = 'InProgress' AND queue IN ({marks}) AND (owner IS NULL OR lease_expires <= ?)"
    params: list[object] = [*queues, _micros(now)]
    if job_id is not None:
        condition, params = f"{condition} AND id = ?", [*params, job_id]
    rows = _select(db, f"{condition} ORDER BY submit_time, id LIMIT 1", *params)
    return _job(rows[0]) if rows else None


def _take(db: sqlite3.Connection, job: Job, owner: str, lease: datetime, now: datetime) -> Job:
    db.execute(
        "UPDATE outcrop_jobs SET owner = ?, lease_expires = ?, attempts = attempts + 1, last_modified_time = ?"
        " WHERE id = ?",
        (owner, _micros(lease), _micros(now), job.id),
    )
    return dataclasses.replace(job, owner=owner, lease_expires=lease, attempts=job.attempts + 1, last_modified_time=now)


def _finish(db: sqlite3.Connection, job: Job, status: JobStatus, message: str | None, now: datetime) -> Job:
    params = (status.value, message, _micros(now), _micros(now), job.id)
    db.execute(f"UPDATE outcrop_jobs SET {_FINISH} WHERE id = ?", params)
    return dataclasses.replace(
        job,
        status=status,
        failure_message=message,
        end_time=now,
        last_modified_time=now,
        owner=None,
        lease_expires=None,
    )


def _one(db: sqlite3.Connection, condition: str, *params: object) -> Job | None:
    rows = _select(db, condition, *params)
    return _job(rows[0]) if rows else None


def _select(db: sqlite3.Connection, condition: str, *params: object) -> list[sqlite3.Row]:
    return db.execute(f"SELECT {_COLUMNS} FROM outcrop_jobs WHERE {condition}", params).fetchall()


def _row(job: Job) -> tuple[object, ...]:
    spec = job.spec
    return (
        job.id, job.arn, spec.model_id, spec.model_arn, json.dumps(dict(spec.model_input)), spec.output_uri,
        spec.client_request_token, spec.request_hash, spec.queue, json.dumps([list(tag) for tag in spec.tags]),
        job.status.value, _micros(job.submit_time), _micros(job.last_modified_time), _maybe_micros(job.end_time),
        job.failure_message, job.progress, job.attempts, job.owner, _maybe_micros(job.lease_expires),
        int(job.cancel_requested),
    )  # fmt: skip


def _job(row: sqlite3.Row) -> Job:
    tags = tuple((str(key), str(value)) for key, value in json.loads(row["tags"]))
    spec = JobSpec(
        row["model_id"], row["model_arn"], json.loads(row["model_input"]), row["output_uri"],
        row["client_request_token"], row["request_hash"], row["queue"], tags,
    )  # fmt: skip
    return Job(
        row["id"], row["arn"], spec, JobStatus(row["status"]), _time(row["submit_time"]),
        _time(row["last_modified_time"]), _maybe_time(row["end_time"]), row["failure_message"], row["progress"],
        row["attempts"], row["owner"], _maybe_time(row["lease_expires"]), bool(row["cancel_requested"]),
    )  # fmt: skip


def _utc(moment: datetime) -> datetime:
    """The same instant in UTC, to the microsecond the column keeps. Naive times are refused."""
    return _time(_micros(moment))


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"job times are timezone-aware (UTC), not naive: {moment.isoformat()}")
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _maybe_micros(moment: datetime | None) -> int | None:
    return None if moment is None else _micros(moment)


def _time(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _maybe_time(micros: int | None) -> datetime | None:
    return None if micros is None else _time(micros)
