"""What a durable async job is: the request that started it and where it stands.

Bedrock shows three statuses. Internally an InProgress job is either waiting (no owner) or held by one worker
under a lease that the worker renews; a lease that runs out means the worker died, and the job is claimable again.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 12


class JobStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"


def new_job_id() -> str:
    """Twelve characters of [a-z0-9], as Bedrock's invocation ARNs end with."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


@dataclass(frozen=True)
class JobSpec:
    """The accepted request, validated before the job exists.

    `request_hash` covers everything but the token, so a retried StartAsyncInvoke with the same token and body finds
    the same job, and the same token with another body is a conflict. `queue` names the worker pool that may run it.
    """

    model_id: str
    model_arn: str
    model_input: Mapping[str, Any]
    output_uri: str
    client_request_token: str
    request_hash: str
    queue: str
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Job:
    id: str
    arn: str
    spec: JobSpec
    status: JobStatus
    submit_time: datetime
    last_modified_time: datetime
    end_time: datetime | None = None
    failure_message: str | None = None
    progress: float = 0.0
    attempts: int = 0
    owner: str | None = None
    lease_expires: datetime | None = None
    cancel_requested: bool = False

    @property
    def output_folder(self) -> str:
        """Where the job's files land: the requested location + `/` + the job id."""
        return self.spec.output_uri.rstrip("/") + "/" + self.id


@dataclass(frozen=True)
class JobQuery:
    """ListAsyncInvokes' filters; `next_token` is the opaque value a previous page returned."""

    status: JobStatus | None = None
    submitted_after: datetime | None = None
    submitted_before: datetime | None = None
    ascending: bool = False
    max_results: int = 1000
    next_token: str | None = None


@dataclass(frozen=True)
class JobPage:
    jobs: list[Job] = field(default_factory=list)
    next_token: str | None = None
