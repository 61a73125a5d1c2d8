"""What every generated image passes through before it leaves: output filters, the invisible watermark, a signed
provenance manifest (optionally C2PA Content Credentials too), and the human review queue.

The Bedrock reply is unchanged by review: the gate governs release to the configured location, not the API.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL.Image import Image

from outcrop.safety import content_credentials, provenance, watermark
from outcrop.safety.filters import ContentFilter
from outcrop.safety.review import ReviewStore
from outcrop.tasks import Task
from outcrop.tasks.generation import ImagesResult


@dataclass(frozen=True)
class Provenance:
    keys_dir: Path
    key_path: Path | None = None
    c2pa: bool = False
    c2pa_chain: Path | None = None

    def sign(self, image: Image, manifest: Mapping[str, Any]) -> bytes:
        png = provenance.sign_png(image, manifest, self.keys_dir, self.key_path)
        if self.c2pa:  # after the Outcrop manifest: C2PA hashes the final bytes
            png = content_credentials.add_content_credentials(
                png, manifest, self.keys_dir, self.key_path, self.c2pa_chain
            )
        return png


@dataclass(frozen=True)
class Release:
    guard: ContentFilter
    signer: Provenance
    review: ReviewStore

    def finish_images(self, model_id: str, task: Task, result: ImagesResult) -> ImagesResult:
        """Withhold flagged outputs (counted in `blocked`), watermark, sign and queue the rest for review."""
        kept, blocked = self.guard.filter_outputs(model_id, result.images)
        marked = [watermark.embed(image) for image in kept]
        parameters = task_parameters(task)
        pngs = [self.signer.sign(image, provenance.new_manifest(model_id, parameters)) for image in marked]
        held = [self.review.record(png, "image/png", model_id, parameters, kind=str(task.kind)) for png in pngs]
        review_ids = [asset.id for asset in held if asset is not None]
        return dataclasses.replace(
            result, images=marked, pngs=pngs, blocked=result.blocked + blocked, review_ids=review_ids
        )


def task_parameters(task: Task) -> dict[str, Any]:
    """The task's settings as JSON (images are described by their size, not embedded)."""
    return {f.name: _plain(getattr(task, f.name)) for f in dataclasses.fields(task)}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Image):
        return {"image": list(value.size)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class VideoRelease:
    """Video counterpart of Release.finish_images: watermark frames, sign a manifest, queue for review.

    Marking every frame costs ~0.13 s per 1280x720 frame, 19 s per 6 s shot, so by default every
    `watermark_every`-th frame carries the whole mark (twice a second at 24 fps); any one such frame detects.
    """

    signer: Provenance
    review: ReviewStore
    watermark_every: int = 12

    def mark(self, frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        every = max(1, self.watermark_every)
        for index, frame in enumerate(frames):
            yield np.asarray(watermark.embed(PILImage.fromarray(frame))) if index % every == 0 else frame

    def manifest(self, model_id: str, task: Task, files: Mapping[str, bytes], extra: Mapping[str, Any]) -> bytes:
        """manifest.json: the signed provenance manifest naming each file's hash, plus job facts (`extra`)."""
        body = provenance.new_manifest(model_id, task_parameters(task))
        body["contentHashes"] = {name: provenance.file_hash(data) for name, data in sorted(files.items())}
        body["watermarkEveryNthFrame"] = self.watermark_every
        body.update(extra)
        envelope = provenance.signed_envelope(body, self.signer.keys_dir, self.signer.key_path)
        return json.dumps(envelope, indent=2, sort_keys=True).encode()

    def record(self, model_id: str, task: Task, video: bytes) -> str | None:
        asset = self.review.record(video, "video/mp4", model_id, task_parameters(task), kind=str(task.kind))
        return None if asset is None else asset.id
