"""Which body parser and which response encoder a model family uses on InvokeModel."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any, assert_never

import numpy as np

from outcrop.api.bedrock.bodies.cohere_embed import encode_cohere, parse_cohere_embed
from outcrop.api.bedrock.bodies.converse import parse_native_text
from outcrop.api.bedrock.bodies.image_body import parse_image_body
from outcrop.api.bedrock.bodies.image_family import NOVA_CANVAS, TITAN_V1, TITAN_V2
from outcrop.api.bedrock.bodies.nova_embed import parse_nova_embed
from outcrop.api.bedrock.bodies.titan_embed import parse_titan_embed
from outcrop.api.bedrock.bodies.titan_text_embed import encode_titan_text, parse_titan_text_v1, parse_titan_text_v2
from outcrop.catalog import Family, ModelEntry
from outcrop.errors import ModelError, ValidationError
from outcrop.safety.filters import outputs_message
from outcrop.tasks import EmbedBatchTask, EmbedTask, Task
from outcrop.tasks.converse import ConverseResult
from outcrop.tasks.embed import EmbedResult
from outcrop.tasks.generation import ImagesResult
from outcrop.tasks.imaging import encode_png_base64

Json = dict[str, Any]
_IMAGE_FAMILIES = {Family.TITAN_IMAGE_V1: TITAN_V1, Family.TITAN_IMAGE_V2: TITAN_V2, Family.NOVA_CANVAS: NOVA_CANVAS}


_PARSERS: dict[Family, Callable[[Mapping[str, Any]], Task]] = {
    Family.TITAN_EMBED_IMAGE: parse_titan_embed,
    Family.NOVA_2_EMBED: parse_nova_embed,
    Family.TITAN_EMBED_TEXT_V1: parse_titan_text_v1,
    Family.TITAN_EMBED_TEXT_V2: parse_titan_text_v2,
    Family.COHERE_EMBED_V3: lambda body: parse_cohere_embed(body, Family.COHERE_EMBED_V3),
    Family.COHERE_EMBED_V4: lambda body: parse_cohere_embed(body, Family.COHERE_EMBED_V4),
    Family.TEXT: parse_native_text,
}


def parse_invoke_body(entry: ModelEntry, body: Mapping[str, Any]) -> Task:
    family = entry.family
    match family:
        case Family.TITAN_IMAGE_V1 | Family.TITAN_IMAGE_V2 | Family.NOVA_CANVAS:
            return parse_image_body(body, _IMAGE_FAMILIES[family])
        case Family.NOVA_REEL_V1_0 | Family.NOVA_REEL_V1_1:
            raise ValidationError(
                f"{entry.model_id} is available only through StartAsyncInvoke; "
                "call start_async_invoke with this body as modelInput."
            )
        case (
            Family.TITAN_EMBED_IMAGE | Family.NOVA_2_EMBED | Family.TITAN_EMBED_TEXT_V1 | Family.TITAN_EMBED_TEXT_V2
            | Family.COHERE_EMBED_V3 | Family.COHERE_EMBED_V4 | Family.TEXT
        ):  # fmt: skip
            return _PARSERS[family](body)
        case _:
            assert_never(family)


def encode_invoke(entry: ModelEntry, task: Task, result: object, body: Mapping[str, Any]) -> Json:
    if isinstance(result, ImagesResult):
        return encode_images(result)
    if isinstance(result, list) and isinstance(task, EmbedBatchTask):
        return encode_cohere(body, result)
    if isinstance(result, EmbedResult) and entry.family in (Family.TITAN_EMBED_TEXT_V1, Family.TITAN_EMBED_TEXT_V2):
        return encode_titan_text(body, result, 2 if entry.family is Family.TITAN_EMBED_TEXT_V2 else 1)
    if isinstance(result, EmbedResult) and isinstance(task, EmbedTask | EmbedBatchTask):
        return encode_embedding(entry.family, task, result)
    if isinstance(result, ConverseResult):
        return encode_converse(result)
    raise ModelError(f"{entry.model_id} returned {type(result).__name__}, which {entry.family} cannot encode.")


def encode_images(result: ImagesResult) -> Json:
    error = outputs_message(len(result.images), result.blocked)
    if result.pngs:  # the signed files themselves: re-encoding would drop their provenance chunks
        images = [base64.b64encode(png).decode("ascii") for png in result.pngs]
    else:
        images = [encode_png_base64(image) for image in result.images]
    body: Json = {"images": images, "error": error}
    if result.masks:
        body["maskImage"] = encode_png_base64(result.masks[0])
    return body


def encode_embedding(family: Family, task: EmbedTask | EmbedBatchTask, result: EmbedResult) -> Json:
    vector = np.asarray(result.vector, dtype=np.float32).tolist()
    if family is Family.NOVA_2_EMBED:
        kind = "VIDEO" if isinstance(task, EmbedBatchTask) else "TEXT" if task.text is not None else "IMAGE"
        return {"embeddings": [{"embeddingType": kind, "embedding": vector}]}
    return {"embedding": vector, "inputTextTokenCount": result.text_token_count, "message": None}


def encode_converse(result: ConverseResult) -> Json:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": result.text}]}},
        "stopReason": str(result.stop_reason),
        "usage": {
            "inputTokens": result.input_tokens,
            "outputTokens": result.output_tokens,
            "totalTokens": result.input_tokens + result.output_tokens,
        },
    }


def token_headers(result: object) -> dict[str, str]:
    if isinstance(result, ConverseResult):
        return {
            "X-Amzn-Bedrock-Input-Token-Count": str(result.input_tokens),
            "X-Amzn-Bedrock-Output-Token-Count": str(result.output_tokens),
        }
    if isinstance(result, EmbedResult):
        return {"X-Amzn-Bedrock-Input-Token-Count": str(result.text_token_count)}
    if isinstance(result, list) and all(isinstance(r, EmbedResult) for r in result):
        return {"X-Amzn-Bedrock-Input-Token-Count": str(sum(r.text_token_count for r in result))}
    return {}
