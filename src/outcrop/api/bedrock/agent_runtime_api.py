"""bedrock-agent-runtime's Retrieve: text or image queries against a knowledge base."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from outcrop.api.bedrock.request import authenticated_body, json_object, state_of
from outcrop.api.bedrock.routing import RawPathRoute
from outcrop.api.errors import REQUEST_ID_HEADER, request_id
from outcrop.errors import ValidationError
from outcrop.families.schema import check, enum, integer, obj, string
from outcrop.index.filters import parse_filter
from outcrop.index.ingest import IMAGE_LIMITS as SOURCE_IMAGE_LIMITS
from outcrop.index.knowledge_bases import KnowledgeBases, Match
from outcrop.index.sources import ItemKind, read_uri
from outcrop.tasks import EmbedTask
from outcrop.tasks.imaging import ImageLimits, decode_base64, open_image

Json = dict[str, Any]
QUERY_IMAGE_LIMITS = ImageLimits(max_bytes=5_242_880, max_side=8192, max_pixels=8192 * 8192,
                                 formats=frozenset({"PNG", "JPEG", "GIF", "WEBP"}))  # fmt: skip
SCHEMA = obj(
    {
        "retrievalQuery": obj(
            {
                "text": string(0, 20_000),
                "type": enum("TEXT", "IMAGE"),
                "image": obj(
                    {"format": enum("png", "jpeg", "gif", "webp"), "inlineContent": string(1)},
                    required=["format", "inlineContent"],
                ),
            }
        ),
        "retrievalConfiguration": obj(
            {
                "vectorSearchConfiguration": obj(
                    {
                        "numberOfResults": integer(1, 100),
                        "overrideSearchType": enum("HYBRID", "SEMANTIC"),
                        "filter": {"type": "object"},
                        "rerankingConfiguration": {"type": "object"},
                        "implicitFilterConfiguration": {"type": "object"},
                    }
                )
            },
            required=["vectorSearchConfiguration"],
        ),
        "nextToken": string(1, 2048),
        "guardrailConfiguration": {"type": "object"},
    },
    required=["retrievalQuery"],
)


async def retrieve(request: Request) -> Response:
    body = json_object(await authenticated_body(request))
    check(body, SCHEMA)
    kbs = state_of(request).knowledge_bases
    kb = await asyncio.to_thread(kbs.get, request.path_params["knowledgeBaseId"])
    config: Mapping[str, Any] = body.get("retrievalConfiguration", {}).get("vectorSearchConfiguration", {})
    _refuse_unsupported(config)
    where = (
        parse_filter(config["filter"], "retrievalConfiguration.vectorSearchConfiguration.filter")
        if "filter" in config
        else None
    )
    query = await asyncio.to_thread(query_task, body["retrievalQuery"], kb.dimension)  # decodes a query image
    size = int(config.get("numberOfResults", 5))
    fingerprint = _fingerprint(kb.id, body["retrievalQuery"], config)
    offset = _offset(body.get("nextToken"), fingerprint)
    vector = await kbs.embed_query(kb, query)
    matches = await asyncio.to_thread(kbs.search, kb, vector, offset + size + 1, where)
    page = matches[offset : offset + size]
    payload: Json = {"retrievalResults": await asyncio.gather(*(_result(kbs, m) for m in page))}
    if len(matches) > offset + size:
        payload["nextToken"] = _token(offset + size, fingerprint)
    return Response(
        json.dumps(payload), media_type="application/json", headers={REQUEST_ID_HEADER: request_id(request)}
    )


def query_task(query: Mapping[str, Any], dimension: int) -> EmbedTask:
    kind = query.get("type", "IMAGE" if "image" in query else "TEXT")
    if kind == "IMAGE":
        if "image" not in query:
            raise ValidationError("retrievalQuery.type IMAGE needs retrievalQuery.image {format, inlineContent}.")
        raw = decode_base64(query["image"]["inlineContent"], "retrievalQuery.image.inlineContent")
        _refuse_encoded_twice(raw)
        image = open_image(raw, "retrievalQuery.image.inlineContent", QUERY_IMAGE_LIMITS)
        if image.format != query["image"]["format"].upper().replace("JPG", "JPEG"):
            raise ValidationError(
                f"retrievalQuery.image.format is {query['image']['format']} but the image is {image.format}; "
                f"send format {str(image.format).lower()}."
            )
        image = image.convert("RGB")
        return EmbedTask(text=None, image=image, dimension=dimension)
    if not query.get("text"):
        raise ValidationError("retrievalQuery.text is empty; send the text to search for, or an image query.")
    return EmbedTask(text=query["text"], image=None, dimension=dimension)


_ENCODED_IMAGE_STARTS = (b"iVBORw0KGgo", b"/9j/", b"R0lGOD", b"UklGR", b"data:image/")


def _refuse_encoded_twice(raw: bytes) -> None:
    """boto3 base64-encodes blobs itself: base64 text passed as inlineContent arrives encoded twice."""
    if raw.lstrip().startswith(_ENCODED_IMAGE_STARTS):
        raise ValidationError(
            "retrievalQuery.image.inlineContent holds base64 text (or a data URI), not image bytes. boto3 "
            "base64-encodes blobs itself: pass the raw bytes, e.g. open('photo.png', 'rb').read()."
        )


def _refuse_unsupported(config: Mapping[str, Any]) -> None:
    for key in ("rerankingConfiguration", "implicitFilterConfiguration"):
        if key in config:
            raise ValidationError(f"vectorSearchConfiguration.{key} is not supported by this server; remove it.")


def _fingerprint(kb_id: str, query: Any, config: Any) -> str:
    return hashlib.sha256(json.dumps([kb_id, query, config], sort_keys=True).encode()).hexdigest()[:16]


def _token(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "f": fingerprint}).encode()).decode()


def _offset(token: str | None, fingerprint: str) -> int:
    if token is None:
        return 0
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, same = int(state["o"]), state["f"] == fingerprint
    except (ValueError, KeyError, TypeError):
        raise ValidationError(
            "nextToken is not one this server issued; omit it to start from the first page."
        ) from None
    if not same:
        raise ValidationError("nextToken belongs to a different query; send the same query and configuration.")
    return offset


async def _result(kbs: KnowledgeBases, match: Match) -> Json:
    item = match.item
    metadata = {**item.metadata, "x-amz-bedrock-kb-source-uri": item.uri, "x-amz-bedrock-kb-chunk-id": item.id,
                "x-amz-bedrock-kb-data-source-id": item.source_id}  # fmt: skip
    return {"content": await _content(kbs, item), "location": location(item.uri), "score": match.score,
            "metadata": metadata}  # fmt: skip


async def _content(kbs: KnowledgeBases, item: Any) -> Json:
    if item.kind is ItemKind.TEXT:
        return {"type": "TEXT", "text": item.text or ""}
    try:
        png = await asyncio.to_thread(lambda: thumbnail_png(read_uri(item.uri, kbs.s3_client)))
    except (OSError, ValidationError):
        return {"type": "IMAGE"}  # the source file is gone or changed; location still says where it was
    return {"type": "IMAGE", "byteContent": "data:image/png;base64," + base64.b64encode(png).decode()}


def location(uri: str) -> Json:
    if uri.startswith("s3://"):
        return {"type": "S3", "s3Location": {"uri": uri}}
    return {"type": "CUSTOM", "customDocumentLocation": {"id": uri}}


def thumbnail_png(raw: bytes, max_side: int = 1024) -> bytes:
    """Image bytes for a Retrieve result: PNG, at most `max_side` on the longer side. The source file may have
    changed since it was ingested, so it is checked as ingestion checks it (ValidationError when it no longer
    passes)."""
    image = open_image(raw, "the knowledge base's source image", SOURCE_IMAGE_LIMITS)
    image.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


ROUTES = [RawPathRoute("POST", "/knowledgebases/{knowledgeBaseId}/retrieve", retrieve)]
