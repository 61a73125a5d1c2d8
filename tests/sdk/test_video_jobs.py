"""VideoJob handles over a test double of the /v1/video/jobs and /v1/jobs endpoints (httpx.MockTransport): the
JobView parsing, the wait() loop, download, cancel and listing, without a server or a video model."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from outcrop.sdk import AsyncClient, Client, JobView, OutcropAPIError

MP4 = b"\x00\x00\x00\x18ftypmp42 not really a video"


def job_json(status: str = "InProgress", progress: float = 0.0, files: list[str] | None = None) -> dict:
    return {"id": "job1", "invocationArn": "arn:aws:bedrock:us-east-1:000000000000:async-invoke/job1",
            "modelId": "amazon.nova-reel-v1:1", "status": status, "progress": progress,
            "submitTime": "2026-01-01T00:00:00Z", "lastModifiedTime": "2026-01-01T00:00:05Z",
            "endTime": None if status == "InProgress" else "2026-01-01T00:01:00Z",
            "failureMessage": "out of memory" if status == "Failed" else None,
            "outputUri": "file:///tmp/artifacts/job1", "files": files or []}  # fmt: skip


class JobsDouble:
    """A scripted job server: each GET of the job returns the next state in `states` (the last one repeats)."""

    def __init__(self, states: list[dict]) -> None:
        self.states = states
        self.requests: list[httpx.Request] = []
        self.cancelled = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self._post(request) if request.method == "POST" else self._get(request.url.path)
        message = {"__type": "ResourceNotFoundException", "message": f"no job at {request.url.path}"}
        return reply or httpx.Response(404, json=message)

    def _post(self, request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/v1/video/jobs":
            if "modelInput" not in json.loads(request.content):
                return httpx.Response(400, json={"__type": "ValidationException", "message": "modelInput missing"})
            return httpx.Response(202, json=job_json())
        if request.url.path == "/v1/jobs/job1/cancel":
            self.cancelled = True
            return httpx.Response(200, json=job_json("Failed"))
        return None

    def _get(self, path: str) -> httpx.Response | None:
        if path == "/v1/jobs":
            return httpx.Response(200, json={"jobs": [job_json()], "nextToken": "page2"})
        if path.startswith("/v1/jobs/job1/files/"):
            return httpx.Response(200, content=MP4 if path.endswith(".mp4") else b"{}")
        if path == "/v1/jobs/job1":
            state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
            return httpx.Response(200, json=state)
        return None


def client_for(double: JobsDouble) -> Client:
    return Client(http=httpx.Client(transport=httpx.MockTransport(double), base_url="http://double"))


MODEL_INPUT = {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "waves"}}


def test_job_view_parsing():
    view = JobView.from_json(job_json("Completed", 100, ["output.mp4", "manifest.json"]))
    assert view.done
    assert (view.status, view.progress, view.files) == ("Completed", 100.0, ["output.mp4", "manifest.json"])
    assert view.end_time == "2026-01-01T00:01:00Z"
    assert not JobView.from_json(job_json()).done


def test_create_sends_the_contract_body():
    double = JobsDouble([job_json()])
    job = client_for(double).video.create(MODEL_INPUT, output_uri="file:///tmp/out", client_request_token="t1")
    assert job.id == "job1"
    assert json.loads(double.requests[0].content) == {"modelId": "amazon.nova-reel-v1:1", "modelInput": MODEL_INPUT,
                                                      "outputUri": "file:///tmp/out", "clientRequestToken": "t1"}  # fmt: skip


def test_wait_polls_until_done_and_reports_progress(tmp_path):
    done = job_json("Completed", 100, ["output.mp4", "shot_0001.mp4", "manifest.json"])
    double = JobsDouble([job_json(progress=10), job_json(progress=55.5), done])
    job = client_for(double).video.create(MODEL_INPUT)
    seen: list[float] = []
    final = job.wait(poll_s=0, on_progress=lambda v: seen.append(v.progress))
    assert final.status == "Completed"
    assert seen == [10.0, 55.5, 100.0]
    path = job.download(tmp_path / "videos")
    assert path == tmp_path / "videos" / "output.mp4"
    assert path.read_bytes() == MP4
    assert sorted(p.name for p in path.parent.iterdir()) == ["manifest.json", "output.mp4", "shot_0001.mp4"]


def test_wait_times_out_while_in_progress():
    job = client_for(JobsDouble([job_json(progress=5)])).video.get("job1")
    with pytest.raises(TimeoutError, match="still InProgress"):
        job.wait(poll_s=0.01, timeout=0.05)


def test_download_of_a_failed_job_is_refused(tmp_path):
    job = client_for(JobsDouble([job_json("Failed")])).video.get("job1")
    assert job.wait(poll_s=0).failure_message == "out of memory"
    with pytest.raises(OutcropAPIError, match="out of memory"):
        job.download(tmp_path)


def test_download_ignores_names_that_would_leave_the_folder(tmp_path):
    job = client_for(JobsDouble([job_json("Completed", 100, ["output.mp4", "../evil.mp4"])])).video.get("job1")
    job.download(tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["output.mp4"]
    assert not (tmp_path / "evil.mp4").exists()


def test_cancel_and_list():
    double = JobsDouble([job_json()])
    client = client_for(double)
    jobs, token = client.video.list("InProgress", max_results=10)
    assert [j.id for j in jobs] == ["job1"] and token == "page2"
    assert dict(double.requests[-1].url.params) == {"status": "InProgress", "maxResults": "10"}
    assert jobs[0].cancel().status == "Failed"
    assert double.cancelled


def test_errors_become_outcrop_api_errors():
    with pytest.raises(OutcropAPIError) as caught:
        client_for(JobsDouble([job_json()])).video.get("nope")
    assert (caught.value.code, caught.value.status) == ("ResourceNotFoundException", 404)


def test_async_job_wait_and_download(tmp_path):
    done = job_json("Completed", 100, ["output.mp4"])
    double = JobsDouble([job_json(progress=50), done])

    async def run():
        transport = httpx.MockTransport(double)
        async with AsyncClient(http=httpx.AsyncClient(transport=transport, base_url="http://double")) as client:
            job = await client.video.create(MODEL_INPUT)
            seen: list[str] = []
            await job.wait(poll_s=0, on_progress=lambda v: seen.append(v.status))
            return seen, await job.download(tmp_path)

    seen, path = asyncio.run(run())
    assert seen == ["InProgress", "Completed"]
    assert path.read_bytes() == MP4
