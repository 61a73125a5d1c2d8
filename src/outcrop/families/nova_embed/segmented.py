"""Nova 2 Multimodal Embeddings `SEGMENTED_EMBEDDING` modelInput (StartAsyncInvoke) -> SegmentedEmbedTask.

Text is split into segments of at most `segmentationConfig.maxLengthChars` characters, at whitespace where one is
near the limit, and each segment gets one embedding. Validated synchronously when the job is started.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from outcrop.catalog.model import EMBEDDING_DIMENSIONS, Family
from outcrop.errors import ValidationError
from outcrop.families.schema import check, enum, integer, obj, string
from outcrop.tasks.embed import EmbeddingPurpose

MAX_TEXT_CHARS = 50_000  # the inline text this server accepts for one job
DEFAULT_SEGMENT_CHARS = 32_000
_SOURCE = {"type": "object", "minProperties": 1, "maxProperties": 1}
SCHEMA = obj(
    {
        "schemaVersion": string(),
        "taskType": enum("SEGMENTED_EMBEDDING"),
        "segmentedEmbeddingParams": obj(
            {
                "embeddingPurpose": enum(*EmbeddingPurpose),
                "embeddingDimension": enum(*EMBEDDING_DIMENSIONS[Family.NOVA_2_EMBED]),
                "text": obj(
                    {
                        "truncationMode": enum("START", "END", "NONE"),
                        "value": string(1, MAX_TEXT_CHARS),
                        "source": _SOURCE,
                        "segmentationConfig": obj({"maxLengthChars": integer(1, MAX_TEXT_CHARS)}),
                    }
                ),
                "image": {"type": "object"},
                "video": {"type": "object"},
                "audio": {"type": "object"},
            },
            required=["embeddingPurpose"],
        ),
    },
    required=["taskType", "segmentedEmbeddingParams"],
)


@dataclass(frozen=True)
class Segment:
    index: int
    start: int  # character offsets in the text, end exclusive
    end: int
    text: str


@dataclass(frozen=True)
class SegmentedEmbedTask:
    text: str
    max_chars: int
    dimension: int
    purpose: EmbeddingPurpose
    truncate: bool

    def segments(self) -> list[Segment]:
        return split_text(self.text, self.max_chars)


def parse_segmented(body: Mapping[str, Any]) -> SegmentedEmbedTask:
    check(body, SCHEMA)
    params: Mapping[str, Any] = body["segmentedEmbeddingParams"]
    given = [key for key in ("text", "image", "video", "audio") if key in params]
    if given != ["text"]:
        raise ValidationError(
            "segmentedEmbeddingParams needs exactly one of text, image, video or audio, and this server segments "
            f"text only; received {', '.join(given) or 'none'}. Send text with an inline value."
        )
    text: Mapping[str, Any] = params["text"]
    if "value" not in text:
        raise ValidationError(
            "segmentedEmbeddingParams.text.source (s3Location) is not supported by this server; send the text "
            f"inline as text.value (up to {MAX_TEXT_CHARS:,} characters)."
        )
    size = int(text.get("segmentationConfig", {}).get("maxLengthChars", DEFAULT_SEGMENT_CHARS))
    return SegmentedEmbedTask(
        text=text["value"], max_chars=size, dimension=int(params.get("embeddingDimension", 3072)),
        purpose=EmbeddingPurpose(params["embeddingPurpose"]), truncate=text.get("truncationMode", "END") != "NONE",
    )  # fmt: skip


def split_text(text: str, max_chars: int) -> list[Segment]:
    """Consecutive segments covering `text`, each at most `max_chars` long, cut after whitespace when the last
    fifth of the window has some (so words stay whole), else at the limit."""
    segments: list[Segment] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + max_chars)
        if end < len(text):
            space = max(text.rfind(c, start + max_chars * 4 // 5, end) for c in (" ", "\n", "\t"))
            end = space + 1 if space > start else end
        segments.append(Segment(len(segments), start, end, text[start:end]))
        start = end
    return segments
