"""Each SDK operation as data (method, path, body, how to parse the reply), shared by the sync and async clients
so the two differ only in how they send a request."""

from __future__ import annotations

import base64
import dataclasses
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from PIL.Image import Image

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
from outcrop.tasks.generation import GenerationConfig

T = TypeVar("T")
ImageInput = Image | bytes | Path  # a PIL image, encoded PNG/JPEG bytes, or a file to read
DEFAULT_IMAGE_MODEL = "amazon.nova-canvas-v1:0"
DEFAULT_EMBED_MODEL = "amazon.titan-embed-image-v1"
DEFAULT_VIDEO_MODEL = "amazon.nova-reel-v1:1"
DEFAULT_TEXT_MODEL = "amazon.nova-lite-v1:0"
# Generation settings are one nested object on the wire; the SDK accepts them flat (width=..., seed=...).
_CONFIG_FIELDS = frozenset(f.name for f in dataclasses.fields(GenerationConfig))


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    json: Any = None
    params: Mapping[str, Any] | None = None


def encode_image(value: ImageInput) -> str:
    """Base64 of an image: PIL images are sent as PNG, bytes and files as they are."""
    if isinstance(value, Image):
        buffer = io.BytesIO()
        value.save(buffer, format="PNG")
        return base64.b64encode(buffer.getvalue()).decode("ascii")
    raw = value.read_bytes() if isinstance(value, Path) else value
    return base64.b64encode(raw).decode("ascii")


def _wire_value(value: Any) -> Any:
    if isinstance(value, Image | bytes | Path):
        return encode_image(value)
    if isinstance(value, list | tuple):
        return [_wire_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _wire_value(v) for k, v in value.items()}
    return value


def image_body(model_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Task fields as given (snake_case or camelCase), images encoded, generation settings gathered in `config`."""
    body: dict[str, Any] = {"modelId": model_id}
    config: dict[str, Any] = dict(params.get("config") or {})
    for name, value in params.items():
        if value is None or name == "config":
            continue
        if name in _CONFIG_FIELDS:
            config[name] = value
        else:
            body[name] = _wire_value(value)
    if config:
        body["config"] = config
    return body


def images(operation: str, model_id: str, params: Mapping[str, Any]) -> Call[GeneratedImages]:
    return Call("POST", f"/v1/images/{operation}", lambda r: GeneratedImages.from_json(r.json()),
                json=image_body(model_id, params))  # fmt: skip


def embedding(model_id: str, text: str | None, image: ImageInput | None, dimensions: int | None,
              extra: Mapping[str, Any]) -> Call[Embedding]:  # fmt: skip
    body: dict[str, Any] = {"modelId": model_id, **extra}
    if text is not None:
        body["text"] = text
    if image is not None:
        body["image"] = encode_image(image)
    if dimensions is not None:
        body["dimensions"] = dimensions
    return Call("POST", "/v1/embeddings", lambda r: Embedding.from_json(r.json()), json=body)


def kb_create(name: str, model_id: str, dimension: int, description: str, index: str) -> Call[KnowledgeBase]:
    spec = {"name": name, "model_id": model_id, "dimension": dimension, "description": description, "index": index}
    return Call("POST", "/v1/knowledge-bases", lambda r: KnowledgeBase.from_json(r.json()), json=spec)


def kb_list() -> Call[list[KnowledgeBase]]:
    return Call("GET", "/v1/knowledge-bases",
                lambda r: [KnowledgeBase.from_json(kb) for kb in r.json()["knowledgeBases"]])  # fmt: skip


def kb_ingest(kb_id: str, source: str) -> Call[Ingestion]:
    return Call("POST", f"/v1/knowledge-bases/{kb_id}/ingestions", lambda r: Ingestion.from_json(r.json()),
                json={"source": source})  # fmt: skip


def kb_ingestion(kb_id: str, run_id: str) -> Call[Ingestion]:
    return Call("GET", f"/v1/knowledge-bases/{kb_id}/ingestions/{run_id}", lambda r: Ingestion.from_json(r.json()))


def _hits(response: httpx.Response) -> list[SearchHit]:
    return [SearchHit.from_json(hit) for hit in response.json()["results"]]


def kb_search(kb_id: str, text: str | None, image: ImageInput | None, k: int,
              filter: Mapping[str, Any] | None) -> Call[list[SearchHit]]:  # fmt: skip
    body: dict[str, Any] = {"k": k, "text": text, "image": None if image is None else encode_image(image)}
    if filter is not None:
        body["filter"] = dict(filter)
    return Call("POST", f"/v1/knowledge-bases/{kb_id}/search", _hits, json=body)


def kb_recommend(kb_id: str, positive: Sequence[str], negative: Sequence[str], k: int) -> Call[list[SearchHit]]:
    body = {"positive": list(positive), "negative": list(negative), "k": k}
    return Call("POST", f"/v1/knowledge-bases/{kb_id}/recommend", _hits, json=body)


def _job(response: httpx.Response) -> JobView:
    return JobView.from_json(response.json())


def video_create(model_input: Mapping[str, Any], model_id: str, output_uri: str | None,
                 client_request_token: str | None) -> Call[JobView]:  # fmt: skip
    body: dict[str, Any] = {"modelId": model_id, "modelInput": dict(model_input)}
    if output_uri is not None:
        body["outputUri"] = output_uri
    if client_request_token is not None:
        body["clientRequestToken"] = client_request_token
    return Call("POST", "/v1/video/jobs", _job, json=body)


def job_get(job_id: str) -> Call[JobView]:
    return Call("GET", f"/v1/jobs/{job_id}", _job)


def job_cancel(job_id: str) -> Call[JobView]:
    return Call("POST", f"/v1/jobs/{job_id}/cancel", _job)


def job_list(status: str | None, max_results: int | None,
             next_token: str | None) -> Call[tuple[list[JobView], str | None]]:  # fmt: skip
    params = {k: v for k, v in {"status": status, "maxResults": max_results, "nextToken": next_token}.items() if v}
    return Call("GET", "/v1/jobs", _job_page, params=params)


def _job_page(response: httpx.Response) -> tuple[list[JobView], str | None]:
    body = response.json()
    return [JobView.from_json(job) for job in body["jobs"]], body.get("nextToken")


def job_file(job_id: str, name: str) -> Call[bytes]:
    return Call("GET", f"/v1/jobs/{job_id}/files/{name}", lambda r: r.content)


def review_list(status: str | None) -> Call[list[ReviewAsset]]:
    params = {"status": status} if status else None
    return Call("GET", "/v1/review/assets", lambda r: [ReviewAsset.from_json(a) for a in r.json()["assets"]],
                params=params)  # fmt: skip


def review_decide(asset_id: str, action: str, body: Mapping[str, Any]) -> Call[ReviewAsset]:
    return Call("POST", f"/v1/review/assets/{asset_id}/{action}", lambda r: ReviewAsset.from_json(r.json()),
                json=dict(body))  # fmt: skip


def models_list() -> Call[list[ModelInfo]]:
    return Call("GET", "/v1/models", lambda r: [ModelInfo.from_json(m) for m in r.json()["models"]])


def chat(prompt: str | Sequence[Mapping[str, str]], model_id: str, system: Sequence[str],
         params: Mapping[str, Any]) -> Call[ChatReply]:  # fmt: skip
    """`prompt` is one user message, or the whole conversation as [{"role": ..., "text": ...}]."""
    messages = [{"role": "user", "text": prompt}] if isinstance(prompt, str) else [dict(m) for m in prompt]
    body = {"modelId": model_id, "messages": messages, "system": list(system), **params}
    return Call("POST", "/v1/chat", lambda r: ChatReply.from_json(r.json()), json=body)
