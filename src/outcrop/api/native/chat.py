"""Native REST API for text generation: POST /v1/chat, plain strings in, the assistant's text out.

The request is turned into a Converse body and parsed by the same code as the Bedrock Converse call, so limits
and messages are defined once; the model runs through the same input filter and executor.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from outcrop.api.bedrock.request import state_of
from outcrop.api.disconnect import until_disconnect
from outcrop.catalog import Family
from outcrop.errors import ModelError, ValidationError
from outcrop.families.text.body import parse_converse
from outcrop.tasks.converse import ConverseResult

router = APIRouter(prefix="/v1/chat", tags=["text"])


class ChatMessage(BaseModel):
    role: Literal["user", "assistant"]
    text: str


class ChatRequest(BaseModel):
    """JSON keys are camelCase: modelId, messages, system, maxTokens, temperature, topP, seed."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    model_id: str = Field(default="amazon.nova-lite-v1:0", description="A text model id")
    messages: list[ChatMessage] = Field(description="Alternating turns, starting and ending with the user")
    system: list[str] = Field(default_factory=list, description="System prompts")
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int = 0


def converse_body(spec: ChatRequest) -> dict[str, Any]:
    inference = {"maxTokens": spec.max_tokens, "temperature": spec.temperature, "topP": spec.top_p}
    return {
        "messages": [{"role": m.role, "content": [{"text": m.text}]} for m in spec.messages],
        "system": [{"text": text} for text in spec.system],
        "inferenceConfig": {key: value for key, value in inference.items() if value is not None},
        "additionalModelRequestFields": {"seed": spec.seed},
    }


@router.post("")
async def chat(request: Request, spec: ChatRequest) -> dict[str, Any]:
    state = state_of(request)
    entry = state.catalog.resolve(spec.model_id)
    if entry.family is not Family.TEXT:
        raise ValidationError(f"{entry.model_id} is not a text model; use amazon.nova-lite-v1:0 or nova-micro.")
    task = parse_converse(converse_body(spec))
    state.guard.check_task(entry.model_id, task)
    result = await until_disconnect(request, state.executor.run(entry, task))
    if not isinstance(result, ConverseResult):
        raise ModelError(f"{entry.model_id} returned {type(result).__name__} instead of a chat message.")
    return {
        "modelId": entry.model_id,
        "text": result.text,
        "stopReason": str(result.stop_reason),
        "usage": {"inputTokens": result.input_tokens, "outputTokens": result.output_tokens},
    }
