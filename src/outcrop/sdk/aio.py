"""The asynchronous SDK: `AsyncClient` has the sync Client's namespaces, with coroutines (same calls, same types)."""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from outcrop.sdk import calls
from outcrop.sdk.auth import default_auth
from outcrop.sdk.calls import DEFAULT_EMBED_MODEL, DEFAULT_IMAGE_MODEL, DEFAULT_VIDEO_MODEL, Call, ImageInput
from outcrop.sdk.client import DEFAULT_TIMEOUT_S, downloadable
from outcrop.sdk.errors import raise_for_error
from outcrop.sdk.types import (
    ChatReply,
    Embedding,
    GeneratedImages,
    Ingestion,
    JobView,
    KnowledgeBase,
    ModelInfo,
    ReviewAsset,
    SearchHit,
)

T = TypeVar("T")
ProgressFn = Callable[[JobView], None]


class _Namespace:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def _run(self, call: Call[T]) -> T:
        return await self._client.send(call)


class AsyncImages(_Namespace):
    async def generate(self, prompt: str, *, model_id: str = DEFAULT_IMAGE_MODEL, **params: Any) -> GeneratedImages:
        """Images from a prompt. Example: ``(await client.images.generate("a lamp", seed=7)).images``"""
        return await self._run(calls.images("generate", model_id, {"prompt": prompt, **params}))

    async def vary(self, images: Sequence[ImageInput], *, model_id: str = DEFAULT_IMAGE_MODEL,
                   **params: Any) -> GeneratedImages:  # fmt: skip
        """Images close to references. Example: ``await client.images.vary([Path("chair.png")])``"""
        return await self._run(calls.images("vary", model_id, {"images": list(images), **params}))

    async def inpaint(self, image: ImageInput, *, model_id: str = DEFAULT_IMAGE_MODEL,
                      **params: Any) -> GeneratedImages:  # fmt: skip
        """Change a region. Example: ``await client.images.inpaint(img, mask_prompt="sofa", prompt="green")``"""
        return await self._run(calls.images("inpaint", model_id, {"image": image, **params}))

    async def outpaint(self, image: ImageInput, prompt: str, *, model_id: str = DEFAULT_IMAGE_MODEL,
                       **params: Any) -> GeneratedImages:  # fmt: skip
        """Regenerate around a region. Example: ``await client.images.outpaint(img, "beach", mask_prompt="mug")``"""
        return await self._run(calls.images("outpaint", model_id, {"image": image, "prompt": prompt, **params}))

    async def recolor(self, prompt: str, colors: Sequence[str], *, model_id: str = DEFAULT_IMAGE_MODEL,
                      **params: Any) -> GeneratedImages:  # fmt: skip
        """Follow a palette. Example: ``await client.images.recolor("a vase", ["#FF8800"])``"""
        body = {"prompt": prompt, "colors": list(colors), **params}
        return await self._run(calls.images("recolor", model_id, body))

    async def remove_background(self, image: ImageInput, *, model_id: str = DEFAULT_IMAGE_MODEL) -> GeneratedImages:
        """Cut out the subject. Example: ``(await client.images.remove_background(img)).images[0].mode``"""
        return await self._run(calls.images("remove-background", model_id, {"image": image}))


class AsyncEmbeddings(_Namespace):
    async def create(self, text: str | None = None, image: ImageInput | None = None, *,
                     model_id: str = DEFAULT_EMBED_MODEL, dimensions: int | None = None,
                     **params: Any) -> Embedding:  # fmt: skip
        """One vector. Example: ``(await client.embeddings.create("a lamp", dimensions=256)).vector``"""
        return await self._run(calls.embedding(model_id, text, image, dimensions, params))


class AsyncKnowledgeBases(_Namespace):
    async def create(self, name: str, *, model_id: str = DEFAULT_EMBED_MODEL, dimension: int = 1024,
                     description: str = "", index: str = "embedded") -> KnowledgeBase:  # fmt: skip
        """Create one. Example: ``kb = await client.knowledge_bases.create("products")``"""
        return await self._run(calls.kb_create(name, model_id, dimension, description, index))

    async def list(self) -> builtins.list[KnowledgeBase]:
        """All of them. Example: ``await client.knowledge_bases.list()``"""
        return await self._run(calls.kb_list())

    async def ingest(self, kb_id: str, source: str | Path, *, wait: bool = True, poll_s: float = 1.0) -> Ingestion:
        """Ingest a server folder or s3:// prefix. Example: ``await client.knowledge_bases.ingest(kb.id, "/data")``"""
        source = source if str(source).startswith("s3://") else str(Path(source).expanduser().resolve())
        run = await self._run(calls.kb_ingest(kb_id, str(source)))
        while wait and run.status == "IN_PROGRESS":  # then COMPLETE or FAILED
            await asyncio.sleep(poll_s)
            run = await self._run(calls.kb_ingestion(kb_id, run.id))
        return run

    async def search(self, kb_id: str, text: str | None = None, image: ImageInput | None = None, *, k: int = 5,
                     filter: Mapping[str, Any] | None = None) -> builtins.list[SearchHit]:  # fmt: skip
        """Nearest items. Example: ``await client.knowledge_bases.search(kb.id, "red chair", k=3)``"""
        return await self._run(calls.kb_search(kb_id, text, image, k, filter))

    async def recommend(self, kb_id: str, positive: Sequence[str], negative: Sequence[str] = (), *,
                        k: int = 5) -> builtins.list[SearchHit]:  # fmt: skip
        """More like these. Example: ``await client.knowledge_bases.recommend(kb.id, [hit.id])``"""
        return await self._run(calls.kb_recommend(kb_id, positive, negative, k))


class AsyncVideoJob:
    """Async handle on a video job: refresh, wait, download, cancel."""

    def __init__(self, client: AsyncClient, view: JobView) -> None:
        self._client = client
        self.view = view

    @property
    def id(self) -> str:
        return self.view.id

    async def refresh(self) -> JobView:
        """Current state. Example: ``(await job.refresh()).progress``"""
        self.view = await self._client.send(calls.job_get(self.id))
        return self.view

    async def wait(self, poll_s: float = 5.0, on_progress: ProgressFn | None = None,
                   timeout: float | None = None) -> JobView:  # fmt: skip
        """Poll until done. Example: ``await job.wait(poll_s=2, on_progress=print)``"""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            view = await self.refresh()
            if on_progress is not None:
                on_progress(view)
            if view.done:
                return view
            if deadline is not None and time.monotonic() + poll_s > deadline:
                raise TimeoutError(f"video job {self.id} is still InProgress ({view.progress:.0f}%) after {timeout}s")
            await asyncio.sleep(poll_s)

    async def download(self, dest_dir: str | Path) -> Path:
        """Write a completed job's files; returns output.mp4's path. Example: ``await job.download("out/")``"""
        view = self.view if self.view.done else await self.refresh()
        folder = Path(dest_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for name in downloadable(view):
            data: bytes = await self._client.send(calls.job_file(self.id, name))
            (folder / name).write_bytes(data)
        return folder / "output.mp4"

    async def cancel(self) -> JobView:
        """Stop the job. Example: ``await job.cancel()``"""
        self.view = await self._client.send(calls.job_cancel(self.id))
        return self.view


class AsyncVideo(_Namespace):
    async def create(self, model_input: Mapping[str, Any], *, model_id: str = DEFAULT_VIDEO_MODEL,
                     output_uri: str | None = None,
                     client_request_token: str | None = None) -> AsyncVideoJob:  # fmt: skip
        """Start a Nova Reel job. Example: ``job = await client.video.create(model_input); await job.wait()``"""
        view = await self._run(calls.video_create(model_input, model_id, output_uri, client_request_token))
        return AsyncVideoJob(self._client, view)

    async def get(self, job_id: str) -> AsyncVideoJob:
        """A handle on a job. Example: ``await client.video.get(job_id)``"""
        return AsyncVideoJob(self._client, await self._run(calls.job_get(job_id)))

    async def list(self, status: str | None = None, *, max_results: int | None = None,
                   next_token: str | None = None) -> tuple[builtins.list[AsyncVideoJob], str | None]:  # fmt: skip
        """One page of jobs. Example: ``jobs, token = await client.video.list("InProgress")``"""
        views, token = await self._run(calls.job_list(status, max_results, next_token))
        return [AsyncVideoJob(self._client, view) for view in views], token


class AsyncReview(_Namespace):
    async def list(self, status: str | None = None) -> builtins.list[ReviewAsset]:
        """Held assets. Example: ``await client.review.list("pending")``"""
        return await self._run(calls.review_list(status))

    async def approve(self, asset_id: str, reviewer: str, note: str | None = None) -> ReviewAsset:
        """Approve. Example: ``await client.review.approve(asset_id, reviewer="ana")``"""
        return await self._run(calls.review_decide(asset_id, "approve", {"reviewer": reviewer, "note": note}))

    async def reject(self, asset_id: str, reviewer: str, reason: str) -> ReviewAsset:
        """Reject with a reason. Example: ``await client.review.reject(asset_id, "ana", "logo visible")``"""
        return await self._run(calls.review_decide(asset_id, "reject", {"reviewer": reviewer, "reason": reason}))


class AsyncChat(_Namespace):
    async def create(self, prompt: str | Sequence[Mapping[str, str]], *, model_id: str = calls.DEFAULT_TEXT_MODEL,
                     system: Sequence[str] = (), **params: Any) -> ChatReply:  # fmt: skip
        """One assistant turn. Example: ``(await client.chat.create("Name 3 mugs")).text``"""
        return await self._run(calls.chat(prompt, model_id, system, params))


class AsyncModels(_Namespace):
    async def list(self) -> builtins.list[ModelInfo]:
        """Catalog models and installed weights. Example: ``await client.models.list()``"""
        return await self._run(calls.models_list())


class AsyncClient:
    """Asynchronous client of an Outcrop server's native API.

    Example:
        >>> async with outcrop.AsyncClient("http://127.0.0.1:8686") as client:
        ...     result = await client.images.generate("a red lamp", seed=7)
    """

    def __init__(self, base_url: str = "http://127.0.0.1:8686", *, timeout: float = DEFAULT_TIMEOUT_S,
                 http: httpx.AsyncClient | None = None, api_key: str | None = None) -> None:  # fmt: skip
        auth = default_auth(api_key)
        self._http = http or httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout, auth=auth)
        self.images = AsyncImages(self)
        self.embeddings = AsyncEmbeddings(self)
        self.knowledge_bases = AsyncKnowledgeBases(self)
        self.video = AsyncVideo(self)
        self.review = AsyncReview(self)
        self.models = AsyncModels(self)
        self.chat = AsyncChat(self)

    async def send(self, call: Call[T]) -> T:
        """Send one prepared call; failures raise OutcropAPIError."""
        response = await self._http.request(call.method, call.path, json=call.json, params=call.params)
        raise_for_error(response)
        return call.parse(response)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:  # fmt: skip
        await self.aclose()
