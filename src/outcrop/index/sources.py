"""Documents to ingest: files under a local folder or an s3:// prefix, each with optional metadata.

Metadata follows Bedrock knowledge bases' convention: `photo.jpg.metadata.json` beside `photo.jpg`, holding
`{"metadataAttributes": {"category": "shoes", ...}}`. A scan only lists: reading a file or its metadata happens
during ingestion, so one unreadable file fails alone instead of failing the whole scan.
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
TEXT_SUFFIXES = frozenset({".txt", ".md", ".csv", ".json", ".html", ".htm", ".pdf", ".docx"})
METADATA_SUFFIX = ".metadata.json"
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # Bedrock's limit per source file


class ItemKind(StrEnum):
    TEXT = "TEXT"
    IMAGE = "IMAGE"


def _no_metadata() -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class SourceDocument:
    uri: str
    kind: ItemKind
    read: Callable[[], bytes]
    read_metadata: Callable[[], dict[str, Any]] = field(default=_no_metadata)
    has_metadata: bool = False


@dataclass(frozen=True)
class Skipped:
    """A file the scan found but cannot ingest, with the reason (counted as a failed document)."""

    uri: str
    reason: str


@dataclass(frozen=True)
class Scan:
    documents: list[SourceDocument]
    skipped: list[Skipped]

    @property
    def scanned(self) -> int:
        return len(self.documents) + len(self.skipped)

    @property
    def metadata_files(self) -> int:
        return sum(document.has_metadata for document in self.documents)


def kind_of(name: str) -> ItemKind | None:
    suffix = Path(name).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return ItemKind.IMAGE
    if suffix in TEXT_SUFFIXES:
        return ItemKind.TEXT
    return None


def scan(
    source: str, s3_client: Callable[[], Any] | None = None, allowed: Callable[[Path], bool] | None = None
) -> Scan:
    """Every file under `source` (a local folder or file, or s3://bucket/prefix), sorted by URI. A local file whose
    real path (symlinks followed) is not `allowed` is skipped with the reason."""
    if source.startswith("s3://"):
        if s3_client is None:
            raise ValidationError("s3:// sources need S3 access configured on the server.")
        return _listed(source, s3_client)
    root = Path(source).expanduser()
    if not root.exists():
        raise ValidationError(f"{source} does not exist on the server; send a folder path or an s3:// URI.")
    return _collect(_scan_local(root, allowed or (lambda path: True)))


def _listed(source: str, s3_client: Callable[[], Any]) -> Scan:
    """The objects under an s3:// prefix; a bucket the server cannot list (missing, no credentials, unreachable
    endpoint) is the caller's to fix, so it is a ValidationError naming the settings."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return _collect(_scan_s3(source, s3_client()))
    except (BotoCoreError, ClientError) as error:
        raise ValidationError(
            f"Cannot list {source} ({error}). Create the bucket, or set OUTCROP_S3_ENDPOINT_URL and the S3 "
            "credentials (OUTCROP_S3_ACCESS_KEY_ID / OUTCROP_S3_SECRET_ACCESS_KEY, or boto3's usual AWS_* variables)."
        ) from error


def _collect(found: Iterator[SourceDocument | Skipped]) -> Scan:
    entries = sorted(found, key=lambda entry: entry.uri)
    return Scan([e for e in entries if isinstance(e, SourceDocument)], [e for e in entries if isinstance(e, Skipped)])


def _classify(name: str, uri: str, size: int) -> ItemKind | Skipped | None:
    """The document's kind, a reason to skip it, or None for files that are not documents (sidecars, dotfiles)."""
    if name.endswith(METADATA_SUFFIX) or Path(name).name.startswith("."):
        return None
    kind = kind_of(name)
    if kind is None:
        supported = ", ".join(sorted(IMAGE_SUFFIXES | TEXT_SUFFIXES))
        return Skipped(uri, f"unsupported file type '{Path(name).suffix or name}'; supported: {supported}")
    if size > MAX_DOCUMENT_BYTES:
        return Skipped(uri, f"{size:,} bytes is over the {MAX_DOCUMENT_BYTES:,}-byte limit per document")
    return kind


def _scan_local(root: Path, allowed: Callable[[Path], bool]) -> Iterator[SourceDocument | Skipped]:
    paths = [root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())
    for path in paths:
        real = path.resolve()
        uri = real.as_uri()
        if not allowed(real):  # a symlink out of the allowed folders
            yield Skipped(path.as_uri(), "links outside the folders this server may read (OUTCROP_SOURCE_ROOTS)")
            continue
        kind = _classify(path.name, uri, path.stat().st_size)
        if not isinstance(kind, ItemKind):
            if kind is not None:
                yield kind
            continue
        sidecar = path.with_name(path.name + METADATA_SUFFIX)
        present = sidecar.exists()
        reader = _metadata_reader(sidecar.read_bytes, str(sidecar)) if present else _no_metadata
        yield SourceDocument(uri, kind, path.read_bytes, reader, present)


def _scan_s3(source: str, client: Any) -> Iterator[SourceDocument | Skipped]:
    bucket, _, prefix = source.removeprefix("s3://").partition("/")
    sizes = {obj["Key"]: int(obj.get("Size", 0))
             for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
             for obj in page.get("Contents", [])}  # fmt: skip
    for key, size in sizes.items():
        uri = f"s3://{bucket}/{key}"
        kind = _classify(key, uri, size)
        if not isinstance(kind, ItemKind):
            if kind is not None:
                yield kind
            continue
        sidecar = key + METADATA_SUFFIX
        present = sidecar in sizes
        reader = _metadata_reader(_s3_read(client, bucket, sidecar), f"s3://{bucket}/{sidecar}") if present else None
        yield SourceDocument(uri, kind, _s3_read(client, bucket, key), reader or _no_metadata, present)


def _s3_read(client: Any, bucket: str, key: str) -> Callable[[], bytes]:
    def read() -> bytes:
        body: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    return read


def _metadata_reader(read: Callable[[], bytes], where: str) -> Callable[[], dict[str, Any]]:
    return lambda: parse_metadata(read(), where)


def parse_metadata(raw: bytes, where: str) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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


def read_uri(uri: str, s3_client: Callable[[], Any] | None = None) -> bytes:
    """The bytes of a document a knowledge base holds (for image results)."""
    if uri.startswith("file://"):
        return Path(unquote(urlparse(uri).path)).read_bytes()
    if uri.startswith("s3://") and s3_client is not None:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return _s3_read(s3_client(), bucket, key)()
    raise OSError(f"cannot read {uri}")
