"""Typed results of SDK calls, parsed from the native API's JSON."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage
from PIL.Image import Image

Json = Mapping[str, Any]


@dataclass(frozen=True)
class GeneratedImages:
    """Images an image operation returned: `images` decoded, `pngs` the exact signed files the server wrote."""

    images: list[Image]
    pngs: list[bytes]
    model_id: str
    seed: int | None = None
    seeds: list[int] = field(default_factory=list)
    blocked: int = 0
    masks: list[Image] = field(default_factory=list)
    review_asset_ids: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, body: Json) -> GeneratedImages:
        pngs = [base64.b64decode(data) for data in body.get("images", [])]
        masks = [_open(base64.b64decode(data)) for data in body.get("maskImages", [])]
        return cls(images=[_open(png) for png in pngs], pngs=pngs, model_id=str(body.get("modelId", "")),
                   seed=body.get("seed"), seeds=list(body.get("seeds", [])), blocked=int(body.get("blocked", 0)),
                   masks=masks, review_asset_ids=list(body.get("reviewAssetIds", [])))  # fmt: skip


def _open(png: bytes) -> Image:
    image = PILImage.open(io.BytesIO(png))
    image.load()
    return image


@dataclass(frozen=True)
class Embedding:
    vector: NDArray[np.float32]
    model_id: str

    @property
    def dimensions(self) -> int:
        return int(self.vector.shape[0])

    @classmethod
    def from_json(cls, body: Json) -> Embedding:
        return cls(vector=np.asarray(body["embedding"], dtype=np.float32), model_id=str(body.get("modelId", "")))


@dataclass(frozen=True)
class KnowledgeBase:
    id: str
    name: str
    model_id: str
    dimension: int
    items: int
    index: str = "embedded"
    description: str = ""

    @classmethod
    def from_json(cls, body: Json) -> KnowledgeBase:
        return cls(id=body["id"], name=body["name"], model_id=body["modelId"], dimension=int(body["dimension"]),
                   items=int(body.get("items", 0)), index=str(body.get("index", "embedded")),
                   description=str(body.get("description", "")))  # fmt: skip


@dataclass(frozen=True)
class Ingestion:
    id: str
    knowledge_base_id: str
    source: str
    status: str
    report: dict[str, Any] | None = None
    error: str | None = None

    @classmethod
    def from_json(cls, body: Json) -> Ingestion:
        return cls(id=body["id"], knowledge_base_id=body["knowledgeBaseId"], source=body["source"],
                   status=body["status"], report=body.get("report"), error=body.get("error"))  # fmt: skip


@dataclass(frozen=True)
class SearchHit:
    """One knowledge-base match: the item, where it came from and how close it is (higher is closer)."""

    id: str
    uri: str
    score: float | None
    kind: str
    chunk: int | None = None
    text: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Json) -> SearchHit:
        metadata = dict(body.get("metadata") or {})
        return cls(id=body["id"], uri=body["uri"], score=body.get("score"), kind=str(body.get("kind", "")),
                   chunk=body.get("chunk"), text=body.get("text"), metadata=metadata)  # fmt: skip


@dataclass(frozen=True)
class ReviewAsset:
    id: str
    status: str
    model_id: str
    media_type: str
    kind: str
    created_at: float
    reviewer: str | None = None
    note: str | None = None

    @classmethod
    def from_json(cls, body: Json) -> ReviewAsset:
        return cls(id=body["id"], status=body["status"], model_id=body["modelId"], media_type=body["mediaType"],
                   kind=body["kind"], created_at=float(body["createdAt"]), reviewer=body.get("reviewer"),
                   note=body.get("note"))  # fmt: skip


@dataclass(frozen=True)
class TaskBinding:
    """Weights that can serve a task, and where they run when loaded (`device`, `dtype`; None until known)."""

    backend: str
    weights: str
    installed: bool
    serving: bool
    device: str | None = None
    dtype: str | None = None
    resident: bool | None = None
    pinned: bool | None = None
    bytes: int | None = None

    @classmethod
    def from_json(cls, body: Json) -> TaskBinding:
        """Fields this SDK does not know (a newer server) are left out rather than failing the call."""
        known = {name: body[name] for name in cls.__dataclass_fields__ if name in body}
        return cls(**known)


@dataclass(frozen=True)
class ModelInfo:
    """A catalog model: per task, the weights that can serve it (in preference order) and whether installed."""

    model_id: str
    name: str
    family: str
    installed: bool
    tasks: dict[str, list[TaskBinding]]

    @classmethod
    def from_json(cls, body: Json) -> ModelInfo:
        tasks = {kind: [TaskBinding.from_json(b) for b in bindings] for kind, bindings in body.get("tasks", {}).items()}
        return cls(model_id=body["modelId"], name=body["name"], family=body["family"],
                   installed=bool(body["installed"]), tasks=tasks)  # fmt: skip


@dataclass(frozen=True)
class JobView:
    """A video job as the server last reported it; `progress` is 0-100."""

    id: str
    invocation_arn: str
    model_id: str
    status: str  # InProgress | Completed | Failed
    progress: float
    submit_time: str
    last_modified_time: str
    output_uri: str
    end_time: str | None = None
    failure_message: str | None = None
    files: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.status != "InProgress"

    @classmethod
    def from_json(cls, body: Json) -> JobView:
        return cls(id=body["id"], invocation_arn=body["invocationArn"], model_id=body["modelId"],
                   status=body["status"], progress=float(body.get("progress") or 0.0),
                   submit_time=body["submitTime"], last_modified_time=body["lastModifiedTime"],
                   output_uri=body["outputUri"], end_time=body.get("endTime"),
                   failure_message=body.get("failureMessage"), files=list(body.get("files") or []))  # fmt: skip


@dataclass(frozen=True)
class ChatReply:
    """The assistant's answer to a chat request, with token counts."""

    text: str
    model_id: str
    stop_reason: str
    input_tokens: int
    output_tokens: int

    @classmethod
    def from_json(cls, body: Json) -> ChatReply:
        usage = body.get("usage", {})
        return cls(text=str(body["text"]), model_id=str(body.get("modelId", "")),
                   stop_reason=str(body.get("stopReason", "")), input_tokens=int(usage.get("inputTokens", 0)),
                   output_tokens=int(usage.get("outputTokens", 0)))  # fmt: skip
