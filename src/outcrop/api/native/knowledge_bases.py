"""Native REST API for knowledge bases: create/list/delete, ingestions with progress, search, recommendations,
similarity matrices. Errors use the same envelope as the Bedrock wire."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field

from outcrop.api.bedrock.agent_runtime_api import location
from outcrop.api.bedrock.request import state_of
from outcrop.errors import ValidationError
from outcrop.index.filters import parse_filter
from outcrop.index.knowledge_bases import KnowledgeBases, Match
from outcrop.index.registry import DataSource, Ingestion, Item, KnowledgeBase
from outcrop.tasks import EmbedTask
from outcrop.tasks.imaging import ImageLimits, decode_image

router = APIRouter(prefix="/v1/knowledge-bases", tags=["knowledge bases"])
QUERY_LIMITS = ImageLimits(max_bytes=25_000_000, max_side=8192, max_pixels=8192 * 8192)


class CreateKnowledgeBase(BaseModel):
    name: str = Field(description="1-100 letters, digits, '_' or '-'; unique")
    model_id: str = Field("amazon.titan-embed-image-v1", description="Bedrock embedding model id")
    dimension: int = Field(1024, description="256, 384 or 1024 (Nova 2 also 3072)")
    description: str = ""
    index: str = Field("embedded", description="embedded (default) or pgvector")


class StartIngestion(BaseModel):
    source: str = Field(description="A folder path on the server, or s3://bucket/prefix")


class SearchRequest(BaseModel):
    text: str | None = Field(None, description="Text query")
    image: str | None = Field(None, description="Base64 PNG/JPEG query image")
    k: int = Field(5, ge=1, le=100)
    filter: dict[str, Any] | None = Field(None, description="Bedrock RetrievalFilter, e.g. {'equals': {...}}")


class RecommendRequest(BaseModel):
    positive: list[str] = Field(min_length=1, description="Item ids or source URIs to find more like")
    negative: list[str] = Field(default_factory=list, description="Item ids or source URIs to steer away from")
    k: int = Field(5, ge=1, le=100)
    filter: dict[str, Any] | None = None


class SimilarityRequest(BaseModel):
    items: list[str] = Field(min_length=1, max_length=500, description="Item ids or source URIs")


def _kbs(request: Request) -> KnowledgeBases:
    return state_of(request).knowledge_bases


def kb_json(kb: KnowledgeBase, kbs: KnowledgeBases) -> dict[str, Any]:
    return {"id": kb.id, "name": kb.name, "description": kb.description, "modelId": kb.model_id,
            "dimension": kb.dimension, "index": kb.index_kind, "space": kb.space, "createdAt": kb.created_at,
            "items": kbs.registry.count_items(kb.id)}  # fmt: skip


def ingestion_json(run: Ingestion) -> dict[str, Any]:
    return {"id": run.id, "knowledgeBaseId": run.kb_id, "dataSourceId": run.source_id, "source": run.source,
            "status": run.status, "report": run.report, "error": run.error, "startedAt": run.started_at,
            "endedAt": run.ended_at}  # fmt: skip


def source_json(source: DataSource, kbs: KnowledgeBases) -> dict[str, Any]:
    return {"id": source.id, "knowledgeBaseId": source.kb_id, "name": source.name, "source": source.source,
            "description": source.description, "chunking": source.chunking, "createdAt": source.created_at,
            "items": kbs.registry.count_items(source.kb_id, source.id)}  # fmt: skip


def item_json(item: Item, score: float | None = None) -> dict[str, Any]:
    return {"id": item.id, "uri": item.uri, "chunk": item.chunk, "kind": str(item.kind), "text": item.text,
            "score": score, "metadata": item.metadata, "location": location(item.uri)}  # fmt: skip


def match_json(match: Match) -> dict[str, Any]:
    return item_json(match.item, match.score)


@router.post("", status_code=201)
def create(request: Request, spec: CreateKnowledgeBase) -> dict[str, Any]:
    kbs = _kbs(request)
    kb = kbs.create(spec.name, spec.model_id, spec.dimension, spec.description, spec.index)
    return kb_json(kb, kbs)


@router.get("")
def list_all(request: Request) -> dict[str, Any]:
    kbs = _kbs(request)
    return {"knowledgeBases": [kb_json(kb, kbs) for kb in kbs.all()]}


@router.get("/{kb_id}")
def get(request: Request, kb_id: str) -> dict[str, Any]:
    kbs = _kbs(request)
    return kb_json(kbs.get(kb_id), kbs)


@router.delete("/{kb_id}", status_code=204)
def delete(request: Request, kb_id: str) -> None:
    _kbs(request).delete(kb_id)


@router.post("/{kb_id}/ingestions", status_code=202)
async def start_ingestion(request: Request, kb_id: str, spec: StartIngestion) -> dict[str, Any]:
    """Ingest `source` as its own data source (created on first use); other sources' items are untouched."""
    return ingestion_json(await _kbs(request).start_ingestion(kb_id, spec.source))


@router.get("/{kb_id}/data-sources")
def data_sources(request: Request, kb_id: str) -> dict[str, Any]:
    kbs = _kbs(request)
    return {"dataSources": [source_json(s, kbs) for s in kbs.registry.sources(kbs.get(kb_id).id)]}


@router.delete("/{kb_id}/data-sources/{source_id}", status_code=204)
def delete_data_source(request: Request, kb_id: str, source_id: str) -> None:
    """Remove a data source and the items it owns (the files themselves are not touched)."""
    _kbs(request).delete_source(kb_id, source_id)


@router.get("/{kb_id}/ingestions/{run_id}")
def ingestion(request: Request, kb_id: str, run_id: str) -> dict[str, Any]:
    return ingestion_json(_kbs(request).ingestion(run_id))


@router.get("/{kb_id}/items")
def items(request: Request, kb_id: str, offset: int = 0, limit: int = 100) -> dict[str, Any]:
    kbs = _kbs(request)
    kb = kbs.get(kb_id)
    found = kbs.registry.list_items(kb.id, offset, min(limit, 1000))
    return {"items": [item_json(item) for item in found]}


@router.post("/{kb_id}/search")
async def search(request: Request, kb_id: str, spec: SearchRequest) -> dict[str, Any]:
    kbs = _kbs(request)
    kb = await asyncio.to_thread(kbs.get, kb_id)
    query = await asyncio.to_thread(_query, spec, kb.dimension)  # decodes the query image
    vector = await kbs.embed_query(kb, query)
    where = parse_filter(spec.filter) if spec.filter else None
    matches = await asyncio.to_thread(kbs.search, kb, vector, spec.k, where)
    return {"results": [match_json(m) for m in matches]}


@router.post("/{kb_id}/recommend")
def recommend(request: Request, kb_id: str, spec: RecommendRequest) -> dict[str, Any]:
    kbs = _kbs(request)
    where = parse_filter(spec.filter) if spec.filter else None
    matches = kbs.recommend(kbs.get(kb_id), spec.positive, spec.negative, spec.k, where)
    return {"results": [match_json(m) for m in matches]}


@router.post("/{kb_id}/similarity")
def similarity(request: Request, kb_id: str, spec: Annotated[SimilarityRequest, Body()]) -> dict[str, Any]:
    kbs = _kbs(request)
    found, matrix = kbs.similarity(kbs.get(kb_id), spec.items)
    return {"items": [{"id": i.id, "uri": i.uri, "chunk": i.chunk} for i in found], "matrix": matrix.tolist()}


def _query(spec: SearchRequest, dimension: int) -> EmbedTask:
    if (spec.text is None) == (spec.image is None):
        raise ValidationError("Send exactly one of text or image (base64) to search with.")
    if spec.image is not None:
        image = decode_image(spec.image, "image", QUERY_LIMITS).convert("RGB")
        return EmbedTask(text=None, image=image, dimension=dimension)
    return EmbedTask(text=spec.text, image=None, dimension=dimension)


__all__ = ["router"]
