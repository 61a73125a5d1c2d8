"""The JobStore protocol: durable job state shared by the API tier and every worker.

Every transition a worker makes is fenced on (job id, owner): a worker whose lease ran out and was taken over
can no longer move the job, so a job completes exactly once however many workers touched it.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from outcrop.jobs.model import Job, JobPage, JobQuery, JobSpec, JobStatus

CANCELLED_MESSAGE = "Cancelled by request before it finished."


class JobStore(Protocol):
    def submit(self, spec: JobSpec, job_id: str, arn: str, now: datetime) -> tuple[Job, bool]:
        """Create the job, or return the existing one for the same client token (created=False).

        Raises ConflictError when the token was used before with a different request_hash.
        """
        ...

    def get(self, job_id: str) -> Job | None: ...

    def list(self, query: JobQuery) -> JobPage:
        """Jobs ordered by (submit_time, id); ValidationError for a next_token this store did not issue."""
        ...

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
        """Take the oldest InProgress job in `queues` that has no owner or an expired lease (or exactly `job_id`).

        Increments attempts. A job that already had `max_attempts` attempts is marked Failed instead, and the next
        candidate is tried. A job with cancel_requested is marked Failed with CANCELLED_MESSAGE instead.
        """
        ...

    def heartbeat(self, job_id: str, owner: str, progress: float, lease_s: float, now: datetime) -> bool:
        """Renew the lease and record progress (0..1). False if `owner` no longer holds the job or it was
        cancelled: the worker must stop and write nothing more."""
        ...

    def complete(self, job_id: str, owner: str, now: datetime) -> bool:
        """InProgress -> Completed if `owner` still holds the lease; False (no change) otherwise."""
        ...

    def fail(self, job_id: str, owner: str, message: str, now: datetime) -> bool:
        """InProgress -> Failed with `message` (cut to 2048 chars) if `owner` still holds the lease."""
        ...

    def release(self, job_id: str, owner: str, now: datetime) -> bool:
        """Give a held job back unfinished (graceful shutdown): no owner, attempts decremented."""
        ...

    def cancel(self, job_id: str, now: datetime) -> Job | None:
        """Unowned InProgress -> Failed(CANCELLED_MESSAGE); owned -> cancel_requested (the owner's next heartbeat
        returns False and it fails the job). Finished jobs are returned unchanged. None if unknown."""
        ...

    def counts(self) -> dict[JobStatus, int]:
        """How many jobs are in each status (every status present, 0 when none); read by /metrics at each scrape,
        so it must be one indexed query."""
        ...

    def stale(self, now: datetime, unclaimed_for_s: float) -> builtins.list[Job]:
        """InProgress jobs whose lease expired, or unowned for longer than `unclaimed_for_s`: to dispatch again."""
        ...

    def close(self) -> None: ...
