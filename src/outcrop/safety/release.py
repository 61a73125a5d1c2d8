"""What every generated image passes through before it leaves: output filters, then the invisible watermark."""

from __future__ import annotations

import dataclasses

from outcrop.safety import watermark
from outcrop.safety.filters import ContentFilter
from outcrop.tasks.generation import ImagesResult


def finish_images(guard: ContentFilter, model_id: str, result: ImagesResult) -> ImagesResult:
    """Withhold flagged outputs (counted in `blocked`) and watermark the rest."""
    kept, blocked = guard.filter_outputs(model_id, result.images)
    marked = [watermark.embed(image) for image in kept]
    return dataclasses.replace(result, images=marked, blocked=result.blocked + blocked)
