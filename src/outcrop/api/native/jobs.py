"""Native REST API for async jobs: start a video job, follow its progress, list, cancel, fetch its files."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from outcrop.api.bedrock.async_api import timestamp
from outcrop.errors import ResourceNotFoundError
from outcrop.jobs import Job, JobQuery, JobStatus
from outcrop.services.async_jobs import AsyncJobs, StartRequest

router = APIRouter(tags=["video jobs"])


class VideoJobRequest(BaseModel):
    """JSON keys are camelCase, as in Bedrock: modelId, modelInput, outputUri, clientRequestToken."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    model_id: str = Field(default="amazon.nova-reel-v1:1", description="A Nova Reel model id")
    model_input: dict[str, Any] = Field(description="The Nova Reel request body (taskType, params, config)")
    output_uri: str | None = Field(default=None, description="s3://bucket/prefix or file:///dir (default: server's)")
    client_request_token: str | None = Field(default=None, description="Idempotency token (default: a new UUID)")


def _jobs(request: Request) -> AsyncJobs:
    jobs: AsyncJobs = request.app.state.outcrop.jobs
    return jobs


def view(job: Job, files: list[str]) -> dict[str, Any]:
    return {
        "id": job.id,
        "invocationArn": job.arn,
        "modelId": job.spec.model_id,
        "status": str(job.status),
        "progress": round(job.progress * 100, 1),
        "attempts": job.attempts,
        "submitTime": timestamp(job.submit_time),
        "lastModifiedTime": timestamp(job.last_modified_time),
        "endTime": None if job.end_time is None else timestamp(job.end_time),
        "failureMessage": job.failure_message,
        "outputUri": job.output_folder,
        "files": files,
    }


def _files(jobs: AsyncJobs, job: Job) -> list[str]:
    if job.status is not JobStatus.COMPLETED:
        return []
    prefix = f"{job.id}/"
    keys = jobs.open_store(job.spec.output_uri).list(prefix)
    return [key.removeprefix(prefix) for key in keys]


@router.post("/v1/video/jobs", status_code=202)
def start_video_job(request: Request, spec: VideoJobRequest) -> dict[str, Any]:
    jobs = _jobs(request)
    output = spec.output_uri or request.app.state.outcrop.settings.artifacts_dir.resolve().as_uri()
    token = spec.client_request_token or str(uuid.uuid4())
    start = StartRequest(spec.model_id, spec.model_input, output, token)
    job, _ = jobs.start(start)
    return view(job, [])


@router.get("/v1/jobs")
def list_jobs(
    request: Request,
    status: JobStatus | None = None,
    max_results: int = Query(100, alias="maxResults", ge=1, le=1000),
    next_token: str | None = Query(None, alias="nextToken"),
) -> dict[str, Any]:
    jobs = _jobs(request)
    page = jobs.list(JobQuery(status=status, max_results=max_results, next_token=next_token))
    return {"jobs": [view(job, _files(jobs, job)) for job in page.jobs], "nextToken": page.next_token}


@router.get("/v1/jobs/{job_id}")
def get_job(request: Request, job_id: str) -> dict[str, Any]:
    jobs = _jobs(request)
    job = jobs.get(job_id)
    return view(job, _files(jobs, job))


@router.post("/v1/jobs/{job_id}/cancel")
def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    jobs = _jobs(request)
    job = jobs.cancel(job_id)
    return view(job, _files(jobs, job))


@router.get("/v1/jobs/{job_id}/files/{name}")
def job_file(request: Request, job_id: str, name: str) -> Response:
    jobs = _jobs(request)
    job = jobs.get(job_id)
    if name not in _files(jobs, job):
        raise ResourceNotFoundError(f"Job {job_id} has no file {name}; GET /v1/jobs/{job_id} lists its files.")
    data = jobs.open_store(job.spec.output_uri).get(f"{job.id}/{name}")
    media = "application/json" if name.endswith(".json") else "video/mp4"
    return Response(data, media_type=media)
