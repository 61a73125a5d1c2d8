"""Async invocations as a service shared by the Bedrock wire and the native API: start, get, list, cancel.

Everything that can be wrong with a request is found here, before the job exists: the model, the modelInput, the
input filter, the output location. What remains for the worker is work, not validation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from outcrop.boundaries import DataBoundaries
from outcrop.catalog import Catalog, Family, ModelEntry
from outcrop.errors import ValidationError
from outcrop.families.base import JobKind
from outcrop.families.registry import async_families, wire_family
from outcrop.jobs import Job, JobPage, JobQuery, JobSpec, JobStore, new_job_id
from outcrop.jobs.dispatch import Dispatcher
from outcrop.jobs.runner import Clock, utc_now
from outcrop.safety.filters import ContentFilter
from outcrop.services.arns import invocation_arn, model_arn
from outcrop.storage import ArtifactStore
from outcrop.tasks import Task, TaskKind

ASYNC_FAMILIES: tuple[Family, ...] = async_families()


@dataclass(frozen=True)
class StartRequest:
    model_id: str
    model_input: Mapping[str, Any]
    output_uri: str
    client_request_token: str
    tags: tuple[tuple[str, str], ...] = ()


def queue_for(entry: ModelEntry) -> str:
    """One worker queue per model family (`nova-reel-v1-1`): Celery queue names avoid ':'."""
    return entry.family.value.replace(":", "-")


@dataclass
class AsyncJobs:
    store: JobStore
    dispatcher: Dispatcher
    catalog: Catalog
    guard: ContentFilter
    open_store: Callable[[str], ArtifactStore]
    region: str
    account_id: str
    clock: Clock = utc_now
    boundaries: DataBoundaries = field(default_factory=DataBoundaries)  # where outputUri may point

    def start(self, request: StartRequest) -> tuple[Job, bool]:
        """The job for this request (created=False when the token was seen before with the same request)."""
        entry = self.catalog.resolve(request.model_id)
        if entry.family not in ASYNC_FAMILIES:
            raise ValidationError(
                f"{entry.model_id} does not support StartAsyncInvoke; call InvokeModel or Converse for it, "
                f"or start a job on one of: {', '.join(self._async_model_ids())}."
            )
        kind = self._validated_kind(entry, request.model_input)
        self.catalog.require_installed(entry, self.catalog.binding(entry, kind))
        self.boundaries.output(request.output_uri)
        self.open_store(request.output_uri).check()
        job_id = new_job_id()
        job, created = self.store.submit(self._spec(entry, request), job_id, self.arn(job_id), self.clock())
        if created:
            self.dispatcher.dispatch(job)
        return job, created

    def _async_model_ids(self) -> list[str]:
        return sorted(e.model_id for e in self.catalog.models.values() if e.family in ASYNC_FAMILIES)

    def _validated_kind(self, entry: ModelEntry, model_input: Mapping[str, Any]) -> TaskKind:
        """Parse the modelInput now (a bad one never becomes a job); the task kind that will serve it."""
        wire = wire_family(entry.family)
        assert wire.parse_async is not None  # only async families reach here
        parsed = wire.parse_async(entry, model_input)
        if wire.job is JobKind.SEGMENTED_EMBEDDING or not isinstance(parsed, Task):
            return TaskKind.EMBED  # embedding inputs have no content filter, as on Bedrock
        self.guard.check_task(entry.model_id, parsed)
        return parsed.kind

    def get(self, invocation: str) -> Job:
        job = self.store.get(self.job_id(invocation))
        if job is None:
            raise ValidationError(f"Invocation {invocation} was not found; check the invocationArn.")
        return job

    def list(self, query: JobQuery) -> JobPage:
        return self.store.list(query)

    def cancel(self, invocation: str) -> Job:
        job = self.store.cancel(self.job_id(invocation), self.clock())
        if job is None:
            raise ValidationError(f"Invocation {invocation} was not found; check the invocationArn.")
        return job

    def arn(self, job_id: str) -> str:
        return invocation_arn(self.region, self.account_id, job_id)

    @staticmethod
    def job_id(invocation: str) -> str:
        """The id from an invocation ARN, or the id itself."""
        return invocation.rsplit("/", 1)[-1]

    def _spec(self, entry: ModelEntry, request: StartRequest) -> JobSpec:
        return JobSpec(
            model_id=entry.model_id,
            model_arn=model_arn(self.region, entry.model_id),
            model_input=request.model_input,
            output_uri=request.output_uri,
            client_request_token=request.client_request_token,
            request_hash=request_hash(request),
            queue=queue_for(entry),
            tags=request.tags,
        )


def request_hash(request: StartRequest) -> str:
    """Everything but the token, canonically: a retry with the same token and body hashes the same."""
    body = {
        "modelId": request.model_id,
        "modelInput": request.model_input,
        "output": request.output_uri,
        "tags": sorted(request.tags),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
