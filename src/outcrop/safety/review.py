"""The human review gate: generated assets wait as `pending` until a person approves or rejects them.

Only an approved asset can be released (copied to the release folder or S3 prefix); pending and rejected ones
never leave the store. State lives in SQLite, the bytes in a content-addressed folder (identical outputs share
one file), and every action is appended to the audit log.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import mimetypes
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from outcrop.atomic_write import write_atomically
from outcrop.boundaries import DataBoundaries
from outcrop.database import Database
from outcrop.errors import ConflictError, ResourceNotFoundError, ValidationError
from outcrop.safety.audit import AuditLog

SYSTEM_ACTOR = "outcrop"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS assets (
    id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, media_type TEXT NOT NULL, model_id TEXT NOT NULL,
    parameters TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL,
    reviewer TEXT, note TEXT, decided_at REAL, released_to TEXT
);
CREATE INDEX IF NOT EXISTS assets_status ON assets (status, created_at);
"""
_COLUMNS = (
    "id, sha256, media_type, model_id, parameters, kind, status, created_at, reviewer, note, decided_at, released_to"
)


class ReviewStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Asset:
    id: str
    sha256: str
    media_type: str
    model_id: str
    parameters: dict[str, Any]
    kind: str
    status: ReviewStatus
    created_at: float
    reviewer: str | None = None
    note: str | None = None
    decided_at: float | None = None
    released_to: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "sha256": self.sha256, "mediaType": self.media_type, "modelId": self.model_id,
                "parameters": self.parameters, "kind": self.kind, "status": str(self.status),
                "createdAt": self.created_at, "reviewer": self.reviewer, "note": self.note,
                "decidedAt": self.decided_at, "releasedTo": self.released_to}  # fmt: skip


class ReviewStore:
    """Pending/approved/rejected assets under `root` (review.sqlite, assets/, audit.jsonl by default).

    `release_to` is a folder path or `s3://bucket/prefix`; for S3, `s3_client` builds a boto3 S3 client when the
    first release needs it. With `enabled=False` the gate is off: `record` keeps nothing and returns None.
    """

    def __init__(self, root: Path, *, enabled: bool = True, audit: AuditLog | None = None,
                 release_to: str | None = None, s3_client: Callable[[], Any] | None = None,
                 boundaries: DataBoundaries | None = None) -> None:  # fmt: skip
        root.mkdir(parents=True, exist_ok=True)
        self.enabled = enabled
        self.audit = audit or AuditLog(root / "audit.jsonl")
        self.release_to = release_to
        self.boundaries = boundaries or DataBoundaries()
        self._blobs = root / "assets"
        self._s3_client = s3_client
        self._database = Database(root / "review.sqlite", _SCHEMA)
        self._db, self._lock = self._database.connection, self._database.lock
        self._transaction = self._database.transaction

    def close(self) -> None:
        self._database.close()

    def record(self, asset_bytes: bytes, media_type: str, model_id: str, parameters: Mapping[str, Any],
               kind: str, *, actor: str = SYSTEM_ACTOR) -> Asset | None:  # fmt: skip
        """Keep a generated asset as pending review; None when the gate is disabled."""
        if not self.enabled:
            return None
        digest = hashlib.sha256(asset_bytes).hexdigest()
        self._write_blob(digest, asset_bytes)
        asset = Asset(id=f"asset-{secrets.token_hex(8)}", sha256=digest, media_type=media_type, model_id=model_id,
                      parameters=json.loads(json.dumps(dict(parameters))), kind=kind,
                      status=ReviewStatus.PENDING, created_at=time.time())  # fmt: skip
        with self._transaction() as db:
            db.execute(f"INSERT INTO assets ({_COLUMNS}) VALUES ({', '.join('?' * 12)})", _row(asset))
        self.audit.append(actor, "record", asset.id, {"sha256": digest, "modelId": model_id, "kind": kind})
        return asset

    def list(self, status: ReviewStatus | str | None = None) -> builtins.list[Asset]:
        query = f"SELECT {_COLUMNS} FROM assets"
        args: tuple[str, ...] = ()
        if status is not None:
            query, args = query + " WHERE status = ?", (str(_status(status)),)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY created_at, id", args).fetchall()
        return [_asset(row) for row in rows]

    def get(self, asset_id: str) -> Asset:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM assets WHERE id = ?", (asset_id,)).fetchone()
        if row is None:
            hint = "list them with `outcrop review list`"
            raise ResourceNotFoundError(f"No asset '{asset_id}' is held for review; {hint}.")
        return _asset(row)

    def content(self, asset_id: str) -> bytes:
        return self._blob(self.get(asset_id).sha256).read_bytes()

    def approve(self, asset_id: str, reviewer: str, note: str | None = None, *, identity: str | None = None) -> Asset:
        """`identity`: the credential the decision came with (e.g. `api-key:alice`), recorded beside the name."""
        return self._decide(asset_id, ReviewStatus.APPROVED, reviewer, note, "approve", identity=identity)

    def reject(self, asset_id: str, reviewer: str, reason: str, *, identity: str | None = None) -> Asset:
        if not reason or not reason.strip():
            raise ValidationError("A rejection needs a reason; send a non-empty 'reason'.")
        return self._decide(asset_id, ReviewStatus.REJECTED, reviewer, reason, "reject", identity=identity)

    def release(self, asset_id: str, actor: str = SYSTEM_ACTOR) -> str:
        """Copy an approved asset to the release location; returns where it went (path or s3:// URI)."""
        asset = self.get(asset_id)
        if asset.status is not ReviewStatus.APPROVED:
            raise ConflictError(f"Asset '{asset_id}' is {asset.status}; only approved assets can be released.")
        if not self.release_to:
            raise ValidationError("No release location is configured (a folder path or s3://bucket/prefix).")
        self.boundaries.output(self.release_to)
        name = asset.id + (mimetypes.guess_extension(asset.media_type) or ".bin")
        data = self._blob(asset.sha256).read_bytes()
        if self.release_to.startswith("s3://"):
            location = self._release_s3(self.release_to, name, data, asset.media_type)
        else:
            location = _release_local(Path(self.release_to), name, data)
        with self._transaction() as db:
            db.execute("UPDATE assets SET released_to = ? WHERE id = ?", (location, asset_id))
        self.audit.append(actor, "release", asset_id, {"location": location})
        return location

    def _decide(self, asset_id: str, status: ReviewStatus, reviewer: str, note: str | None, action: str, *,
                identity: str | None) -> Asset:  # fmt: skip
        if not reviewer or not reviewer.strip():
            raise ValidationError("Name the reviewer: send a non-empty 'reviewer'.")
        with self._transaction() as db:
            # The status check is part of the UPDATE, so two reviewers racing cannot both decide one asset.
            cursor = db.execute(
                "UPDATE assets SET status = ?, reviewer = ?, note = ?, decided_at = ? WHERE id = ? AND status = ?",
                (str(status), reviewer, note, time.time(), asset_id, str(ReviewStatus.PENDING)),
            )
        if cursor.rowcount == 0:
            current = self.get(asset_id)  # raises ResourceNotFoundError for an unknown id
            message = f"Asset '{asset_id}' is already {current.status}; only pending assets can be {action}d."
            raise ConflictError(message)
        details = {"note": note} if status is ReviewStatus.APPROVED else {"reason": note}
        details |= {"identity": identity} if identity else {}
        self.audit.append(reviewer, action, asset_id, details)
        return self.get(asset_id)

    def _blob(self, digest: str) -> Path:
        return self._blobs / digest[:2] / digest

    def _write_blob(self, digest: str, data: bytes) -> None:
        path = self._blob(digest)
        if not path.exists():
            _write_atomic(path, data)

    def _release_s3(self, target: str, name: str, data: bytes, media_type: str) -> str:
        if self._s3_client is None:
            raise ValidationError(f"Releasing to {target} needs an S3 client; none is configured.")
        bucket, _, prefix = target.removeprefix("s3://").partition("/")
        key = f"{prefix.strip('/')}/{name}" if prefix.strip("/") else name
        # One PUT is atomic in S3: readers see the whole object or none of it.
        self._s3_client().put_object(Bucket=bucket, Key=key, Body=data, ContentType=media_type)
        return f"s3://{bucket}/{key}"


def _release_local(folder: Path, name: str, data: bytes) -> str:
    target = folder / name
    _write_atomic(target, data)
    return str(target)


def _write_atomic(path: Path, data: bytes) -> None:
    """Durable as well as atomic: an approved release or a recorded asset must survive a power cut."""
    write_atomically(path, lambda temp: temp.write_bytes(data), durable=True)


def _status(value: ReviewStatus | str) -> ReviewStatus:
    try:
        return ReviewStatus(value)
    except ValueError:
        choices = ", ".join(s.value for s in ReviewStatus)
        raise ValidationError(f"Unknown review status '{value}'; use one of: {choices}.") from None


def _row(asset: Asset) -> tuple[Any, ...]:
    parameters = json.dumps(asset.parameters)
    return (asset.id, asset.sha256, asset.media_type, asset.model_id, parameters, asset.kind, str(asset.status),
            asset.created_at, asset.reviewer, asset.note, asset.decided_at, asset.released_to)  # fmt: skip


def _asset(row: tuple[Any, ...]) -> Asset:
    return Asset(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], ReviewStatus(row[6]), *row[7:])
