"""Converse request (and Nova's native `messages-v1` InvokeModel body) -> ConverseTask."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from outcrop.errors import ValidationError
from outcrop.families.schema import array, check, enum, integer, number, obj, string
from outcrop.tasks import ConverseTask
from outcrop.tasks.converse import InferenceConfig, Message, Role
from outcrop.tasks.imaging import ImageLimits, decode_base64, open_image

IMAGE_LIMITS = ImageLimits(max_bytes=3_750_000, max_side=8000, max_pixels=8000 * 8000,
                           formats=frozenset({"PNG", "JPEG", "GIF", "WEBP"}))  # fmt: skip
_BLOCK = {"type": "object", "minProperties": 1, "maxProperties": 1}
_MESSAGE = obj({"role": enum("user", "assistant"), "content": array(_BLOCK, 1, 1000)}, required=["role", "content"])
_INFERENCE = obj(
    {
        "maxTokens": integer(1, 100_000),
        "temperature": number(0, 1),
        "topP": number(0, 1),
        "topK": integer(0, 500),
        "stopSequences": array(string(1, 1000), 0, 4),
    }
)
_COMMON = {
    "messages": array(_MESSAGE, 1, 10_000),
    "system": array(obj({"text": string(min_length=1)}, required=["text"]), 0, 100),
    "inferenceConfig": _INFERENCE,
    "additionalModelRequestFields": {"type": "object"},
    "additionalModelResponseFieldPaths": array(string(), 0, 10),
    "requestMetadata": {"type": "object"},
    "performanceConfig": {"type": "object"},
    "promptVariables": {"type": "object"},
    "guardrailConfig": {"type": "object"},
    "toolConfig": {"type": "object"},
}
CONVERSE_SCHEMA = obj(_COMMON, required=["messages"])
NATIVE_SCHEMA = obj({**_COMMON, "schemaVersion": enum("messages-v1")}, required=["messages"])


def parse_converse(body: Mapping[str, Any]) -> ConverseTask:
    check(body, CONVERSE_SCHEMA)
    return _task(body, body.get("inferenceConfig", {}))


def parse_native_text(body: Mapping[str, Any]) -> ConverseTask:
    """Nova's InvokeModel text body: same fields, plus schemaVersion, image bytes already base64."""
    check(body, NATIVE_SCHEMA)
    return _task(body, body.get("inferenceConfig", {}))


def _task(body: Mapping[str, Any], inference: Mapping[str, Any]) -> ConverseTask:
    if "toolConfig" in body:
        raise ValidationError("toolConfig is not supported by this server's text models; remove it.")
    messages = tuple(_message(raw, i) for i, raw in enumerate(body["messages"]))
    _check_turns(messages)
    seed = body.get("additionalModelRequestFields", {}).get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValidationError("additionalModelRequestFields.seed must be a non-negative integer.")
    return ConverseTask(
        messages=messages,
        system=tuple(block["text"] for block in body.get("system", [])),
        inference=InferenceConfig(
            max_tokens=int(inference.get("maxTokens", 512)),
            temperature=float(inference.get("temperature", 0.7)),
            top_p=float(inference.get("topP", 0.9)),
            stop_sequences=tuple(inference.get("stopSequences", ())),
        ),
        seed=seed,
    )


def _message(raw: Mapping[str, Any], index: int) -> Message:
    texts, images = [], []
    for j, block in enumerate(raw["content"]):
        where = f"messages[{index}].content[{j}]"
        if "text" in block:
            if not isinstance(block["text"], str):
                raise ValidationError(f"{where}.text must be a string.")
            texts.append(block["text"])
        elif "image" in block:
            images.append(_image(block["image"], where))
        else:
            kind = next(iter(block))
            raise ValidationError(f"{where}: content block '{kind}' is not supported here; send text or image blocks.")
    return Message(role=Role(raw["role"]), text="\n".join(texts), images=tuple(images))


def _image(block: Any, where: str) -> Any:
    if not isinstance(block, Mapping) or not isinstance(block.get("source"), Mapping) or "bytes" not in block["source"]:
        raise ValidationError(f"{where}.image needs format and source.bytes.")
    data = block["source"]["bytes"]
    raw = decode_base64(data, f"{where}.image.source.bytes") if isinstance(data, str) else data
    return open_image(raw, f"{where}.image.source.bytes", IMAGE_LIMITS)


def _check_turns(messages: tuple[Message, ...]) -> None:
    if messages[0].role is not Role.USER:
        raise ValidationError(
            "A conversation must start with a user message. "
            "Try again with a conversation that starts with a user message."
        )
    for before, after in itertools.pairwise(messages):
        if before.role is after.role:
            raise ValidationError(
                "A conversation must alternate between user and assistant roles. "
                "Make sure the conversation alternates between user and assistant roles and try again."
            )
