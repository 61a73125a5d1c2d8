"""The synchronous SDK: `Client` talks to a server over HTTP, `InProcessClient` runs one in this process."""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx

from outcrop.sdk import calls
from outcrop.sdk.auth import default_auth, settings_auth
from outcrop.sdk.calls import DEFAULT_EMBED_MODEL, DEFAULT_IMAGE_MODEL, DEFAULT_VIDEO_MODEL, Call, ImageInput
from outcrop.sdk.errors import OutcropAPIError, raise_for_error
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

if TYPE_CHECKING:
    from outcrop.settings import Settings

T = TypeVar("T")
ProgressFn = Callable[[JobView], None]
DEFAULT_TIMEOUT_S = 300.0


class _Namespace:
    def __init__(self, client: Client) -> None:
        self._client = client

    def _run(self, call: Call[T]) -> T:
        return self._client.send(call)


class Images(_Namespace):
    """Image operations; keyword parameters are the Task's fields (width, seed, negative_prompt, ...)."""

    def generate(self, prompt: str, *, model_id: str = DEFAULT_IMAGE_MODEL, **params: Any) -> GeneratedImages:
        """Images from a prompt.

        Example:
            >>> result = client.images.generate("a red lamp", width=512, height=512, seed=7)
            >>> result.images[0].save("lamp.png"); result.seed
        """
        return self._run(calls.images("generate", model_id, {"prompt": prompt, **params}))

    def vary(self, images: Sequence[ImageInput], *, model_id: str = DEFAULT_IMAGE_MODEL,
             **params: Any) -> GeneratedImages:  # fmt: skip
        """New images close to 1-5 reference images.

        Example:
            >>> client.images.vary([Path("chair.png")], prompt="in oak", similarity_strength=0.8).images
        """
        return self._run(calls.images("vary", model_id, {"images": list(images), **params}))

    def inpaint(self, image: ImageInput, *, model_id: str = DEFAULT_IMAGE_MODEL, **params: Any) -> GeneratedImages:
        """Change the region given by `mask` (black = change) or `mask_prompt`.

        Example:
            >>> client.images.inpaint(Path("room.png"), mask_prompt="the sofa", prompt="a green sofa").images
        """
        return self._run(calls.images("inpaint", model_id, {"image": image, **params}))

    def outpaint(self, image: ImageInput, prompt: str, *, model_id: str = DEFAULT_IMAGE_MODEL,
                 **params: Any) -> GeneratedImages:  # fmt: skip
        """Keep the region given by `mask` (black = keep) or `mask_prompt`; regenerate the rest.

        Example:
            >>> client.images.outpaint(Path("mug.png"), "a mug on a beach", mask_prompt="the mug").images
        """
        return self._run(calls.images("outpaint", model_id, {"image": image, "prompt": prompt, **params}))

    def recolor(self, prompt: str, colors: Sequence[str], *, model_id: str = DEFAULT_IMAGE_MODEL,
                **params: Any) -> GeneratedImages:  # fmt: skip
        """Images whose palette follows 1-10 hex colours.

        Example:
            >>> client.images.recolor("a vase", ["#FF8800", "#003366"], seed=3).images
        """
        return self._run(calls.images("recolor", model_id, {"prompt": prompt, "colors": list(colors), **params}))

    def remove_background(self, image: ImageInput, *, model_id: str = DEFAULT_IMAGE_MODEL) -> GeneratedImages:
        """The main subject cut out, as an RGBA image.

        Example:
            >>> client.images.remove_background(Path("coffee.jpg")).images[0].mode
            'RGBA'
        """
        return self._run(calls.images("remove-background", model_id, {"image": image}))


class Embeddings(_Namespace):
    def create(self, text: str | None = None, image: ImageInput | None = None, *, model_id: str = DEFAULT_EMBED_MODEL,
               dimensions: int | None = None, **params: Any) -> Embedding:  # fmt: skip
        """One vector for text, an image, or both (a float32 numpy array in `.vector`).

        Example:
            >>> client.embeddings.create("a red lamp", dimensions=256).vector.shape
            (256,)
        """
        return self._run(calls.embedding(model_id, text, image, dimensions, params))


class KnowledgeBases(_Namespace):
    def create(self, name: str, *, model_id: str = DEFAULT_EMBED_MODEL, dimension: int = 1024,
               description: str = "", index: str = "embedded") -> KnowledgeBase:  # fmt: skip
        """Create a knowledge base.

        Example:
            >>> kb = client.knowledge_bases.create("products", dimension=384)
        """
        return self._run(calls.kb_create(name, model_id, dimension, description, index))

    def list(self) -> builtins.list[KnowledgeBase]:
        """All knowledge bases.

        Example:
            >>> [kb.name for kb in client.knowledge_bases.list()]
        """
        return self._run(calls.kb_list())

    def ingest(self, kb_id: str, source: str | Path, *, wait: bool = True, poll_s: float = 1.0) -> Ingestion:
        """Ingest a folder (read by the server) or an s3:// prefix; with `wait`, return once it has finished.

        Example:
            >>> client.knowledge_bases.ingest(kb.id, "/data/catalogue").report
        """
        source = source if str(source).startswith("s3://") else str(Path(source).expanduser().resolve())
        run = self._run(calls.kb_ingest(kb_id, str(source)))
        while wait and run.status == "IN_PROGRESS":  # then COMPLETE or FAILED
            time.sleep(poll_s)
            run = self._run(calls.kb_ingestion(kb_id, run.id))
        return run

    def search(self, kb_id: str, text: str | None = None, image: ImageInput | None = None, *, k: int = 5,
               filter: Mapping[str, Any] | None = None) -> builtins.list[SearchHit]:  # fmt: skip
        """The k items closest to a text or image query.

        Example:
            >>> for hit in client.knowledge_bases.search(kb.id, "red chair", k=3): print(hit.uri, hit.score)
        """
        return self._run(calls.kb_search(kb_id, text, image, k, filter))

    def recommend(self, kb_id: str, positive: Sequence[str], negative: Sequence[str] = (), *,
                  k: int = 5) -> builtins.list[SearchHit]:  # fmt: skip
        """Items like `positive` and unlike `negative` (item ids or source URIs).

        Example:
            >>> client.knowledge_bases.recommend(kb.id, [hit.id])
        """
        return self._run(calls.kb_recommend(kb_id, positive, negative, k))


class VideoJob:
    """A handle on a server-side video job: refresh, wait for it, download its video, or cancel it."""

    def __init__(self, client: Client, view: JobView) -> None:
        self._client = client
        self.view = view

    @property
    def id(self) -> str:
        return self.view.id

    def refresh(self) -> JobView:
        """Fetch the job's current state.

        Example:
            >>> job.refresh().progress
        """
        self.view = self._client.send(calls.job_get(self.id))
        return self.view

    def wait(self, poll_s: float = 5.0, on_progress: ProgressFn | None = None,
             timeout: float | None = None) -> JobView:  # fmt: skip
        """Poll until the job leaves InProgress; `on_progress` sees every view. Raises TimeoutError after `timeout`.

        Example:
            >>> job.wait(poll_s=2, on_progress=lambda v: print(f"{v.progress:.0f}%")).status
            'Completed'
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            view = self.refresh()
            if on_progress is not None:
                on_progress(view)
            if view.done:
                return view
            if deadline is not None and time.monotonic() + poll_s > deadline:
                raise TimeoutError(f"video job {self.id} is still InProgress ({view.progress:.0f}%) after {timeout}s")
            time.sleep(poll_s)

    def download(self, dest_dir: str | Path) -> Path:
        """Write every file of a completed job into `dest_dir`; returns the path of output.mp4.

        Example:
            >>> job.wait(); job.download("videos/")
        """
        view = self.refresh() if not self.view.done else self.view
        names = downloadable(view)
        folder = Path(dest_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            (folder / name).write_bytes(self._client.send(calls.job_file(self.id, name)))
        return folder / "output.mp4"

    def cancel(self) -> JobView:
        """Ask the server to stop the job.

        Example:
            >>> job.cancel().status
        """
        self.view = self._client.send(calls.job_cancel(self.id))
        return self.view


def downloadable(view: JobView) -> list[str]:
    if view.status != "Completed":
        raise OutcropAPIError("ValidationException", 400, f"Job {view.id} is {view.status}; only completed jobs "
                              f"have files. {view.failure_message or ''}".strip())  # fmt: skip
    # Flat names only: a name with a folder in it must not write outside dest_dir.
    return [name for name in view.files if name and "/" not in name and "\\" not in name and name not in (".", "..")]


class Video(_Namespace):
    def create(self, model_input: Mapping[str, Any], *, model_id: str = DEFAULT_VIDEO_MODEL,
               output_uri: str | None = None, client_request_token: str | None = None) -> VideoJob:  # fmt: skip
        """Start a Nova Reel job from its modelInput JSON; returns a handle to follow it.

        Example:
            >>> job = client.video.create({"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "waves"},
            ...                            "videoGenerationConfig": {"durationSeconds": 6, "fps": 24,
            ...                                                      "dimension": "1280x720", "seed": 1}})
            >>> job.wait(); job.download("out/")
        """
        view = self._run(calls.video_create(model_input, model_id, output_uri, client_request_token))
        return VideoJob(self._client, view)

    def get(self, job_id: str) -> VideoJob:
        """A handle on an existing job.

        Example:
            >>> client.video.get("abc123").view.status
        """
        return VideoJob(self._client, self._run(calls.job_get(job_id)))

    def list(self, status: str | None = None, *, max_results: int | None = None,
             next_token: str | None = None) -> tuple[builtins.list[VideoJob], str | None]:  # fmt: skip
        """One page of jobs, newest first, and the token of the next page (None on the last).

        Example:
            >>> jobs, token = client.video.list(status="InProgress")
        """
        views, token = self._run(calls.job_list(status, max_results, next_token))
        return [VideoJob(self._client, view) for view in views], token


class Review(_Namespace):
    def list(self, status: str | None = None) -> builtins.list[ReviewAsset]:
        """Assets held for review, optionally only `pending`, `approved` or `rejected` ones.

        Example:
            >>> [a.id for a in client.review.list("pending")]
        """
        return self._run(calls.review_list(status))

    def approve(self, asset_id: str, reviewer: str, note: str | None = None) -> ReviewAsset:
        """Approve an asset (recorded in the audit log).

        Example:
            >>> client.review.approve(asset.id, reviewer="ana")
        """
        return self._run(calls.review_decide(asset_id, "approve", {"reviewer": reviewer, "note": note}))

    def reject(self, asset_id: str, reviewer: str, reason: str) -> ReviewAsset:
        """Reject an asset; a reason is required.

        Example:
            >>> client.review.reject(asset.id, reviewer="ana", reason="logo visible")
        """
        return self._run(calls.review_decide(asset_id, "reject", {"reviewer": reviewer, "reason": reason}))


class Chat(_Namespace):
    def create(self, prompt: str | Sequence[Mapping[str, str]], *, model_id: str = calls.DEFAULT_TEXT_MODEL,
               system: Sequence[str] = (), **params: Any) -> ChatReply:  # fmt: skip
        """One assistant turn; `params` are maxTokens, temperature, topP, seed.

        Example:
            >>> client.chat.create("Describe 3 mugs as a '- item' list.", system=["You write catalogue copy."],
            ...                    temperature=0.0).text
        """
        return self._run(calls.chat(prompt, model_id, system, params))


class Models(_Namespace):
    def list(self) -> builtins.list[ModelInfo]:
        """Every catalog model with, per task, which weights serve it and whether they are installed.

        Example:
            >>> {m.model_id: m.installed for m in client.models.list()}
        """
        return self._run(calls.models_list())


class Client:
    """Synchronous client of an Outcrop server's native API.

    Example:
        >>> import outcrop
        >>> with outcrop.Client("http://127.0.0.1:8686") as client:
        ...     client.images.generate("a red lamp", seed=7).images[0].save("lamp.png")
    """

    def __init__(self, base_url: str = "http://127.0.0.1:8686", *, timeout: float = DEFAULT_TIMEOUT_S,
                 http: httpx.Client | None = None, api_key: str | None = None) -> None:  # fmt: skip
        """`api_key` (default OUTCROP_API_KEY) is sent as a Bearer key; without one, SigV4 from the AWS chain."""
        auth = default_auth(api_key)
        self._http = http or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, auth=auth)
        self.images = Images(self)
        self.embeddings = Embeddings(self)
        self.knowledge_bases = KnowledgeBases(self)
        self.video = Video(self)
        self.review = Review(self)
        self.models = Models(self)
        self.chat = Chat(self)

    def send(self, call: Call[T]) -> T:
        """Send one prepared call; failures raise OutcropAPIError."""
        response = self._http.request(call.method, call.path, json=call.json, params=call.params)
        raise_for_error(response)
        return call.parse(response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        self.close()


class InProcessClient(Client):
    """The same interface, served by an app built in this process (no network, no separate server).

    Example:
        >>> from outcrop.settings import Settings
        >>> with outcrop.InProcessClient(Settings(profile="tiny")) as client:
        ...     client.images.generate("a lamp", width=320, height=320).seed
    """

    def __init__(self, settings: Settings, *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        from outcrop.api.app import build_app
        from outcrop.sdk.inprocess import ASGIThreadTransport
        from outcrop.services import build_services

        transport = ASGIThreadTransport(build_app(settings, build_services(settings)))
        key, secret = settings.access_key_id, settings.secret_access_key
        auth = None if key is None or secret is None else settings_auth(key, secret.get_secret_value())
        http = httpx.Client(transport=transport, base_url="http://outcrop.local", timeout=timeout, auth=auth)
        super().__init__(http=http)
