"""Documents to ingest: files under a local folder or an s3:// prefix, each with optional metadata.

Metadata follows Bedrock knowledge bases' convention: `photo.jpg.metadata.json` beside `photo.jpg`, holding
`{"metadataAttributes": {"category": "shoes", ...}}`. Images are embedded whole; text documents are split into
chunks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from outcrop.errors import ValidationError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".csv", ".json", ".html"})
METADATA_SUFFIX = ".metadata.json"


class ItemKind(StrEnum):
    TEXT = "TEXT"
    IMAGE = "IMAGE"


@dataclass(frozen=True)
class SourceDocument:
    uri: str
    kind: ItemKind
    read: Callable[[], bytes]
    metadata: dict[str, Any] = field(default_factory=dict)


def kind_of(name: str) -> ItemKind | None:
    suffix = Path(name).suffix.lower()
    if name.endswith(METADATA_SUFFIX):
        return None
    if suffix in IMAGE_SUFFIXES:
        return ItemKind.IMAGE
    if suffix in TEXT_SUFFIXES:
        return ItemKind.TEXT
    return None


def scan(source: str, s3_client: Callable[[], Any] | None = None) -> list[SourceDocument]:
    """Every ingestible document under `source` (a local folder or file, or s3://bucket/prefix), sorted."""
    if source.startswith("s3://"):
        if s3_client is None:
            raise ValidationError("s3:// sources need S3 access configured on the server.")
        return sorted(_scan_s3(source, s3_client()), key=lambda d: d.uri)
    root = Path(source).expanduser()
    if not root.exists():
        raise ValidationError(f"{source} does not exist on the server; send a folder path or an s3:// URI.")
    return sorted(_scan_local(root), key=lambda d: d.uri)


def _scan_local(root: Path) -> Iterator[SourceDocument]:
    paths = [root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())
    for path in paths:
        kind = kind_of(path.name)
        if kind is None:
            continue
        sidecar = path.with_name(path.name + METADATA_SUFFIX)
        metadata = _metadata(sidecar.read_bytes(), str(sidecar)) if sidecar.exists() else {}
        yield SourceDocument(uri=path.resolve().as_uri(), kind=kind, read=path.read_bytes, metadata=metadata)


def _scan_s3(source: str, client: Any) -> Iterator[SourceDocument]:
    bucket, _, prefix = source.removeprefix("s3://").partition("/")
    keys = [obj["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for obj in page.get("Contents", [])]  # fmt: skip
    present = set(keys)
    for key in keys:
        kind = kind_of(key)
        if kind is None:
            continue
        sidecar = key + METADATA_SUFFIX
        metadata = (
            _metadata(_s3_read(client, bucket, sidecar)(), f"s3://{bucket}/{sidecar}") if sidecar in present else {}
        )
        yield SourceDocument(
            uri=f"s3://{bucket}/{key}", kind=kind, read=_s3_read(client, bucket, key), metadata=metadata
        )


def _s3_read(client: Any, bucket: str, key: str) -> Callable[[], bytes]:
    def read() -> bytes:
        body: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    return read


def _metadata(raw: bytes, where: str) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{where} is not valid JSON ({exc}).") from exc
    attributes = document.get("metadataAttributes", document) if isinstance(document, dict) else None
    if not isinstance(attributes, dict):
        raise ValidationError(f'{where} must hold {{"metadataAttributes": {{...}}}}.')
    return {str(k): _plain(v) for k, v in attributes.items()}


def _plain(value: Any) -> Any:
    """Bedrock also allows typed values ({"value": {"type": "STRING", "stringValue": ...}}); keep the value."""
    if isinstance(value, dict) and "value" in value and isinstance(value["value"], dict):
        inner = value["value"]
        for key in ("stringValue", "numberValue", "booleanValue", "stringListValue"):
            if key in inner:
                return inner[key]
    return value


def chunk_text(text: str, words_per_chunk: int = 200, overlap: int = 30) -> list[str]:
    """Split on words into overlapping chunks (Bedrock's default fixed-size chunking, in words not tokens)."""
    words = text.split()
    if len(words) <= words_per_chunk:
        return [" ".join(words)] if words else []
    step = words_per_chunk - overlap
    return [" ".join(words[i : i + words_per_chunk]) for i in range(0, len(words) - overlap, step)]


def read_uri(uri: str, s3_client: Callable[[], Any] | None = None) -> bytes:
    """The bytes of a document a knowledge base holds (for image results)."""
    if uri.startswith("file://"):
        return Path(unquote(urlparse(uri).path)).read_bytes()
    if uri.startswith("s3://") and s3_client is not None:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return _s3_read(s3_client(), bucket, key)()
    raise OSError(f"cannot read {uri}")
