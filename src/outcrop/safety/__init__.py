"""Responsible-AI guards around the request path: input/output content filters and invisible watermarks.

Nothing here imports torch; image classifiers are plug-ins (see `ImageClassifier`).
"""

from __future__ import annotations

from outcrop.safety.filters import (
    IMAGE_BLOCKED,
    TEXT_BLOCKED,
    ContentFilter,
    FilterRules,
    ImageClassifier,
    ModelRules,
    images_of,
    normalise,
    texts_of,
)

__all__ = [
    "IMAGE_BLOCKED",
    "TEXT_BLOCKED",
    "ContentFilter",
    "FilterRules",
    "ImageClassifier",
    "ModelRules",
    "images_of",
    "normalise",
    "texts_of",
]
