"""Nova 2 Multimodal Embeddings body (SINGLE_EMBEDDING of text or an image) -> EmbedTask."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PIL.Image import Image

from outcrop.catalog.model import EMBEDDING_DIMENSIONS, Family
from outcrop.errors import ValidationError
from outcrop.families.schema import check, enum, obj, string
from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedBatchTask, EmbeddingPurpose
from outcrop.tasks.imaging import ImageLimits, decode_base64, decode_image
from outcrop.tasks.video_frames import sample_frames

DIMENSIONS = EMBEDDING_DIMENSIONS[Family.NOVA_2_EMBED]
IMAGE_LIMITS = ImageLimits(
    max_bytes=25_000_000,
    max_side=8000,
    max_pixels=8000 * 8000,
    formats=frozenset({"PNG", "JPEG", "GIF", "WEBP"}),
)
_S3 = obj({"uri": string(pattern="^s3://"), "bucketOwner": string(pattern="^[0-9]{12}$")}, required=["uri"])
_SOURCE = {
    "type": "object",
    "properties": {"bytes": string(min_length=1), "s3Location": _S3},
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
}
_VIDEO = obj(
    {
        "format": enum("mp4", "mov", "mkv", "webm", "flv", "mpeg", "mpg", "wmv", "3gp"),
        "source": _SOURCE,
        "embeddingMode": enum("AUDIO_VIDEO_COMBINED", "AUDIO_VIDEO_SEPARATE"),
    },
    required=["format", "source", "embeddingMode"],
)
_AUDIO = obj({"format": enum("mp3", "wav", "ogg"), "source": _SOURCE}, required=["format", "source"])
VIDEO_MAX_BYTES = 25_000_000
SCHEMA = obj(
    {
        "schemaVersion": string(),
        "taskType": enum("SINGLE_EMBEDDING"),
        "singleEmbeddingParams": obj(
            {
                "embeddingPurpose": enum(*EmbeddingPurpose),
                "embeddingDimension": enum(*DIMENSIONS),
                "text": obj(
                    {
                        "truncationMode": enum("START", "END", "NONE"),
                        "value": string(1, 50_000),
                        "source": _SOURCE,
                    },
                    required=["truncationMode"],
                ),
                "image": obj(
                    {
                        "format": enum("png", "jpeg", "gif", "webp"),
                        "detailLevel": enum("STANDARD_IMAGE", "DOCUMENT_IMAGE"),
                        "source": _SOURCE,
                    },
                    required=["format", "source"],
                ),
                "video": _VIDEO,
                "audio": _AUDIO,
            },
            required=["embeddingPurpose"],
        ),
    },
    required=["taskType", "singleEmbeddingParams"],
)
_ONE_OF = ("text", "image", "video", "audio")


def parse_nova_embed(body: Mapping[str, Any]) -> EmbedTask | EmbedBatchTask:
    check(body, SCHEMA)
    params: Mapping[str, Any] = body["singleEmbeddingParams"]
    given = [key for key in _ONE_OF if key in params]
    if len(given) != 1:
        raise ValidationError(
            "singleEmbeddingParams needs exactly one of text, image, video or audio; "
            f"received {len(given)} ({', '.join(given) or 'none'})."
        )
    dimension = int(params.get("embeddingDimension", 3072))
    purpose = EmbeddingPurpose(params["embeddingPurpose"])
    if given[0] == "text":
        return _text(params["text"], dimension, purpose)
    if given[0] == "image":
        return EmbedTask(text=None, image=_image(params["image"]), dimension=dimension, purpose=purpose)
    if given[0] == "video":
        return _video(params["video"], dimension, purpose)
    raise ValidationError(
        "singleEmbeddingParams.audio needs an audio encoder, and this server has none installed (no audio-text "
        "model weights are available to it); send text, an image or a video."
    )


def _video(video: Mapping[str, Any], dimension: int, purpose: EmbeddingPurpose) -> EmbedBatchTask:
    """A video as its frames sampled once a second (up to 30 s), embedded as images and averaged. The audio track
    is not encoded (no audio encoder is installed), so the answer is typed VIDEO, and AUDIO_VIDEO_SEPARATE, which
    promises an audio embedding too, is refused for a video that has sound."""
    field = "singleEmbeddingParams.video.source.bytes"
    if "bytes" not in video["source"]:
        raise ValidationError(
            "singleEmbeddingParams.video.source.s3Location is not supported for synchronous calls here; "
            "send the video inline as source.bytes."
        )
    raw = decode_base64(video["source"]["bytes"], field)
    if len(raw) > VIDEO_MAX_BYTES:
        raise ValidationError(f"{field} is {len(raw):,} bytes; the limit is {VIDEO_MAX_BYTES:,} bytes.")
    sampled = sample_frames(raw, field)
    if sampled.has_audio and video["embeddingMode"] == "AUDIO_VIDEO_SEPARATE":
        raise ValidationError(
            "embeddingMode AUDIO_VIDEO_SEPARATE needs an audio embedding, and this server has no audio encoder; "
            "send AUDIO_VIDEO_COMBINED (the visual stream is embedded, typed VIDEO) or a video without sound."
        )
    frames = tuple(EmbedTask(text=None, image=frame, dimension=dimension, purpose=purpose) for frame in sampled.frames)
    return EmbedBatchTask(frames, mean=True)


def _text(text: Mapping[str, Any], dimension: int, purpose: EmbeddingPurpose) -> EmbedTask:
    if "value" not in text:
        raise ValidationError("singleEmbeddingParams.text needs a value; inline text is the supported source.")
    truncate = text["truncationMode"] != "NONE"
    return EmbedTask(text=text["value"], image=None, dimension=dimension, purpose=purpose, truncate=truncate)


def _image(image: Mapping[str, Any]) -> Image:
    source = image["source"]
    if "bytes" not in source:
        raise ValidationError(
            "singleEmbeddingParams.image.source.s3Location is not supported for synchronous calls here; "
            "send the image inline as source.bytes."
        )
    return decode_image(source["bytes"], "singleEmbeddingParams.image.source.bytes", IMAGE_LIMITS)
