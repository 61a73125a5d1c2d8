"""The rules every JobStore applies the same way, whatever it stores rows in."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from outcrop.errors import ConflictError
from outcrop.jobs.model import Job, JobSpec, JobStatus
from outcrop.jobs.store import CANCELLED_MESSAGE


def refusal(job: Job, max_attempts: int) -> str | None:
    """Why a claimable job is failed instead of run, or None to run it."""
    if job.cancel_requested:
        return CANCELLED_MESSAGE
    if job.attempts >= max_attempts:
        return f"Gave up after {job.attempts} attempts: every worker that ran this job stopped before it finished."
    return None


def held(job: Job, now: datetime) -> bool:
    """Some worker holds the job; one whose lease ran out is presumed dead."""
    return job.owner is not None and job.lease_expires is not None and job.lease_expires > now


def same_request(existing: Job, spec: JobSpec) -> Job:
    """The job a reused client token names, if the request is the same; ConflictError otherwise."""
    if existing.spec.request_hash != spec.request_hash:
        raise ConflictError(
            f"The clientRequestToken '{spec.client_request_token}' was already used for a different request "
            f"(job {existing.id}). Use a new clientRequestToken for a different request."
        )
    return existing


def clamped(progress: float) -> float:
    return 0.0 if math.isnan(progress) else min(max(progress, 0.0), 1.0)


def status_counts(rows: Iterable[tuple[str, int]]) -> dict[JobStatus, int]:
    """(status, count) rows of a GROUP BY -> a count for every status."""
    counts = dict.fromkeys(JobStatus, 0)
    for status, count in rows:
        counts[JobStatus(status)] = int(count)
    return counts
