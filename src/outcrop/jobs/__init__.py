"""Durable async jobs: state in a JobStore (SQLite or PostgreSQL), run by in-process or Celery workers."""

from outcrop.jobs.model import Job, JobPage, JobQuery, JobSpec, JobStatus, new_job_id
from outcrop.jobs.store import CANCELLED_MESSAGE, JobStore

__all__ = ["CANCELLED_MESSAGE", "Job", "JobPage", "JobQuery", "JobSpec", "JobStatus", "JobStore", "new_job_id"]
