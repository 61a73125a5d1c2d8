"""The JobStore in PostgreSQL, for API servers and workers spread over several machines.

Claimers lock their candidate with `FOR UPDATE SKIP LOCKED`, so concurrent claimers pass over each other's rows
instead of queueing behind them, and no job is taken twice. psycopg is imported when a store is made, so importing
outcrop.jobs never needs it. One connection per store, behind a lock: the store's statements are short, and a
process that needs more throughput opens more stores.
"""

from __future__ import annotations

import builtins
import dataclasses
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from outcrop.jobs import paging, rules
from outcrop.jobs.model import Job, JobPage, JobQuery, JobSpec, JobStatus
from outcrop.jobs.store import CANCELLED_MESSAGE

if TYPE_CHECKING:
    import psycopg

MAX_MESSAGE = 2048
_SCHEMA_LOCK = 0x6F7574_6A6F6273  # pg_advisory_xact_lock key: concurrent first starts create the schema once
_COLUMNS = (
    "id, arn, model_id, model_arn, model_input, output_uri, client_request_token, request_hash, queue, tags, status,"
    " submit_time, last_modified_time, end_time, failure_message, progress, attempts, owner, lease_expires,"
    " cancel_requested"
)
_MARKS = ", ".join(["%s"] * len(_COLUMNS.split(",")))
# ids sort bytewise (COLLATE "C"), as in SQLite, so both stores page in the same order
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS outcrop_jobs (
        id text COLLATE "C" PRIMARY KEY, arn text NOT NULL, model_id text NOT NULL, model_arn text NOT NULL,
        model_input jsonb NOT NULL, output_uri text NOT NULL, client_request_token text NOT NULL,
        request_hash text NOT NULL, queue text NOT NULL, tags jsonb NOT NULL, status text NOT NULL,
        submit_time timestamptz NOT NULL, last_modified_time timestamptz NOT NULL, end_time timestamptz,
        failure_message text, progress double precision NOT NULL, attempts integer NOT NULL, owner text,
        lease_expires timestamptz, cancel_requested boolean NOT NULL
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS outcrop_jobs_token ON outcrop_jobs (client_request_token)",
    "CREATE INDEX IF NOT EXISTS outcrop_jobs_submitted ON outcrop_jobs (submit_time, id)",
    "CREATE INDEX IF NOT EXISTS outcrop_jobs_status_submitted ON outcrop_jobs (status, submit_time, id)",
    "CREATE INDEX IF NOT EXISTS outcrop_jobs_claim ON outcrop_jobs (queue, submit_time, id)"
    " WHERE status = 'InProgress'",
]
# a transition a worker makes applies only while it still holds the job
_HELD = "id = %s AND owner = %s AND status = 'InProgress'"
_FINISH = (
    "status = %s, failure_message = %s, end_time = %s, last_modified_time = %s, owner = NULL, lease_expires = NULL"
)

Row = tuple[Any, ...]


class PostgresJobStore:
    def __init__(self, dsn: str) -> None:
        import psycopg

        self._dsn = dsn
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Row] = psycopg.connect(dsn, autocommit=True)
        try:
            self._create_schema()
        except BaseException:
            self._conn.close()
            raise

    def _create_schema(self) -> None:
        with self._transaction() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for statement in _SCHEMA:
                cursor.execute(statement)

    def submit(self, spec: JobSpec, job_id: str, arn: str, now: datetime) -> tuple[Job, bool]:
        now = _utc(now)
        job = Job(job_id, arn, spec, JobStatus.IN_PROGRESS, now, now)
        with self._transaction() as cursor:
            # a concurrent insert of the same token waits here for the other transaction, then does nothing
            cursor.execute(
                f"INSERT INTO outcrop_jobs ({_COLUMNS}) VALUES ({_MARKS})"
                " ON CONFLICT (client_request_token) DO NOTHING RETURNING id",
                _row(job),
            )
            if cursor.fetchone() is not None:
                return job, True
            existing = _one(cursor, "client_request_token = %s", spec.client_request_token)
        assert existing is not None  # the row that conflicted is committed, and jobs are never deleted
        return rules.same_request(existing, spec), False

    def get(self, job_id: str) -> Job | None:
        with self._transaction() as cursor:
            return _one(cursor, "id = %s", job_id)

    def list(self, query: JobQuery) -> JobPage:
        page = paging.window(query, "%s", _utc)
        statement = f"SELECT {_COLUMNS} FROM outcrop_jobs WHERE {page.where} ORDER BY {page.order_by} LIMIT %s"
        with self._transaction() as cursor:
            rows = cursor.execute(statement, [*page.params, page.limit]).fetchall()
        return paging.make_page(query, [_job(row) for row in rows])

    def counts(self) -> dict[JobStatus, int]:
        with self._transaction() as cursor:
            rows = cursor.execute("SELECT status, count(*) FROM outcrop_jobs GROUP BY status").fetchall()
        return rules.status_counts(rows)

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
        with self._transaction() as cursor:
            while (job := _candidate(cursor, list(queues), now, job_id)) is not None:
                refusal = rules.refusal(job, max_attempts)
                if refusal is None:
                    return _take(cursor, job, owner, now + timedelta(seconds=lease_s), now)
                _finish(cursor, job, JobStatus.FAILED, refusal, now)
        return None

    def heartbeat(self, job_id: str, owner: str, progress: float, lease_s: float, now: datetime) -> bool:
        lease = _utc(now) + timedelta(seconds=lease_s)
        assignments = "lease_expires = %s, progress = %s, last_modified_time = %s"
        params = (lease, rules.clamped(progress), _utc(now))
        return self._held_update(assignments, params, job_id, owner, also="NOT cancel_requested")

    def complete(self, job_id: str, owner: str, now: datetime) -> bool:
        params = (JobStatus.COMPLETED.value, None, _utc(now), _utc(now))
        return self._held_update(f"{_FINISH}, progress = 1.0", params, job_id, owner)

    def fail(self, job_id: str, owner: str, message: str, now: datetime) -> bool:
        params = (JobStatus.FAILED.value, message[:MAX_MESSAGE], _utc(now), _utc(now))
        return self._held_update(_FINISH, params, job_id, owner)

    def release(self, job_id: str, owner: str, now: datetime) -> bool:
        # a job whose cancel was requested while held is not handed back: it ends cancelled, as an unowned one would
        assignments = (
            "owner = NULL, lease_expires = NULL, attempts = GREATEST(attempts - 1, 0), last_modified_time = %s,"
            " status = CASE WHEN cancel_requested THEN %s ELSE status END,"
            " failure_message = CASE WHEN cancel_requested THEN %s ELSE failure_message END,"
            " end_time = CASE WHEN cancel_requested THEN %s ELSE end_time END"
        )
        params = (_utc(now), JobStatus.FAILED.value, CANCELLED_MESSAGE, _utc(now))
        return self._held_update(assignments, params, job_id, owner)

    def cancel(self, job_id: str, now: datetime) -> Job | None:
        now = _utc(now)
        with self._transaction() as cursor:
            job = _one(cursor, "id = %s FOR UPDATE", job_id)
            if job is None or job.status is not JobStatus.IN_PROGRESS:
                return job
            if not rules.held(job, now):
                return _finish(cursor, job, JobStatus.FAILED, CANCELLED_MESSAGE, now)
            cursor.execute(
                "UPDATE outcrop_jobs SET cancel_requested = true, last_modified_time = %s WHERE id = %s",
                (now, job_id),
            )
        return dataclasses.replace(job, cancel_requested=True, last_modified_time=now)

    def stale(self, now: datetime, unclaimed_for_s: float) -> builtins.list[Job]:  # `list` is a method here
        unclaimed_since = _utc(now) - timedelta(seconds=unclaimed_for_s)
        condition = (
            "status = 'InProgress' AND ((owner IS NOT NULL AND lease_expires <= %s)"
            " OR (owner IS NULL AND submit_time < %s)) ORDER BY submit_time, id"
        )
        with self._transaction() as cursor:
            return _select(cursor, condition, _utc(now), unclaimed_since)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _held_update(
        self, assignments: str, params: tuple[object, ...], job_id: str, owner: str, *, also: str = "true"
    ) -> bool:
        with self._transaction() as cursor:
            statement = f"UPDATE outcrop_jobs SET {assignments} WHERE {_HELD} AND {also}"
            cursor.execute(statement, (*params, job_id, owner))
            return cursor.rowcount == 1

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor[Row]]:
        """One transaction on the store's connection, reopened first if the server dropped it."""
        with self._lock:
            if self._conn.broken:
                import psycopg

                self._conn = psycopg.connect(self._dsn, autocommit=True)
            with self._conn.transaction(), self._conn.cursor() as cursor:
                yield cursor


def _candidate(cursor: psycopg.Cursor[Row], queues: list[str], now: datetime, job_id: str | None) -> Job | None:
    """The oldest job in `queues` that nobody holds and no other claimer has locked this moment."""
    condition = "status = 'InProgress' AND queue = ANY(%s) AND (owner IS NULL OR lease_expires <= %s)"
    params: list[object] = [queues, now]
    if job_id is not None:
        condition, params = f"{condition} AND id = %s", [*params, job_id]
    return _one(cursor, f"{condition} ORDER BY submit_time, id LIMIT 1 FOR UPDATE SKIP LOCKED", *params)


def _take(cursor: psycopg.Cursor[Row], job: Job, owner: str, lease: datetime, now: datetime) -> Job:
    cursor.execute(
        "UPDATE outcrop_jobs SET owner = %s, lease_expires = %s, attempts = attempts + 1, last_modified_time = %s"
        " WHERE id = %s",
        (owner, lease, now, job.id),
    )
    return dataclasses.replace(job, owner=owner, lease_expires=lease, attempts=job.attempts + 1, last_modified_time=now)


def _finish(cursor: psycopg.Cursor[Row], job: Job, status: JobStatus, message: str | None, now: datetime) -> Job:
    cursor.execute(f"UPDATE outcrop_jobs SET {_FINISH} WHERE id = %s", (status.value, message, now, now, job.id))
    return dataclasses.replace(
        job,
        status=status,
        failure_message=message,
        end_time=now,
        last_modified_time=now,
        owner=None,
        lease_expires=None,
    )


def _one(cursor: psycopg.Cursor[Row], condition: str, *params: object) -> Job | None:
    rows = _select(cursor, condition, *params)
    return rows[0] if rows else None


def _select(cursor: psycopg.Cursor[Row], condition: str, *params: object) -> list[Job]:
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM outcrop_jobs WHERE {condition}", params).fetchall()
    return [_job(row) for row in rows]


def _row(job: Job) -> tuple[object, ...]:
    from psycopg.types.json import Jsonb

    spec = job.spec
    return (
        job.id, job.arn, spec.model_id, spec.model_arn, Jsonb(dict(spec.model_input)), spec.output_uri,
        spec.client_request_token, spec.request_hash, spec.queue, Jsonb([list(tag) for tag in spec.tags]),
        job.status.value, job.submit_time, job.last_modified_time, job.end_time, job.failure_message, job.progress,
        job.attempts, job.owner, job.lease_expires, job.cancel_requested,
    )  # fmt: skip


def _job(row: Row) -> Job:
    (id_, arn, model_id, model_arn, model_input, output_uri, token, request_hash, queue, tags, status) = row[:11]
    (submitted, modified, ended, message, progress, attempts, owner, lease, cancel_requested) = row[11:]
    tags = tuple((str(key), str(value)) for key, value in tags)
    spec = JobSpec(model_id, model_arn, model_input, output_uri, token, request_hash, queue, tags)
    return Job(
        id_, arn, spec, JobStatus(status), _utc(submitted), _utc(modified), _maybe_utc(ended), message, progress,
        attempts, owner, _maybe_utc(lease), cancel_requested,
    )  # fmt: skip


def _utc(moment: datetime) -> datetime:
    """psycopg returns timestamptz in the session's time zone; jobs speak UTC. Naive times are refused."""
    if moment.tzinfo is None:
        raise ValueError(f"job times are timezone-aware (UTC), not naive: {moment.isoformat()}")
    return moment.astimezone(UTC)


def _maybe_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)
