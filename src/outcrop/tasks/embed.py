"""Map text, an image, or both into one vector space."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from PIL.Image import Image

from outcrop.tasks.kinds import TaskKind


class EmbeddingPurpose(StrEnum):
    GENERIC_INDEX = "GENERIC_INDEX"
    GENERIC_RETRIEVAL = "GENERIC_RETRIEVAL"
    TEXT_RETRIEVAL = "TEXT_RETRIEVAL"
    IMAGE_RETRIEVAL = "IMAGE_RETRIEVAL"
    VIDEO_RETRIEVAL = "VIDEO_RETRIEVAL"
    DOCUMENT_RETRIEVAL = "DOCUMENT_RETRIEVAL"
    AUDIO_RETRIEVAL = "AUDIO_RETRIEVAL"
    CLASSIFICATION = "CLASSIFICATION"
    CLUSTERING = "CLUSTERING"


@dataclass(frozen=True)
class EmbedTask:
    """At least one of text or image; with both, the result is one combined vector."""

    text: str | None
    image: Image | None
    dimension: int = 1024
    purpose: EmbeddingPurpose = EmbeddingPurpose.GENERIC_INDEX
    truncate: bool = True
    max_tokens: int | None = None  # the API's own limit on text (Titan Multimodal: 256), refused above it
    kind: TaskKind = TaskKind.EMBED

    def __post_init__(self) -> None:
        if self.text is None and self.image is None:
            raise ValueError("EmbedTask needs text, an image, or both")


@dataclass(frozen=True)
class EmbedBatchTask:
    """Several embeddings in one request (Cohere's `texts`): each is embedded, and cached, on its own. With `mean`,
    the answer is one vector, their mean (a video as its sampled frames)."""

    tasks: tuple[EmbedTask, ...]
    mean: bool = False
    kind: TaskKind = TaskKind.EMBED


@dataclass(frozen=True)
class EmbedResult:
    """`full` is the vector in the model's own basis at full length, when the backend has one: every output
    length derives from it, so a cache keeps one vector per input instead of one per length."""

    vector: NDArray[np.float32]
    text_token_count: int = 0
    full: NDArray[np.float32] | None = None
