"""Streaming text: ConverseStream and InvokeModelWithResponseStream, as AWS event streams.

The model runs in its worker thread as usual; each piece of text it settles is handed to the event loop and sent
as a `contentBlockDelta` at once. A client that goes away stops generation at the next token.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from outcrop.api.bedrock import event_stream
from outcrop.api.bedrock.request import authenticated_body, check_json_content_type, json_object, state_of
from outcrop.api.bedrock.routing import RawPathRoute
from outcrop.api.bedrock.runtime_api import text_model
from outcrop.api.errors import REQUEST_ID_HEADER, request_id
from outcrop.backends.base import TextStream
from outcrop.catalog import ModelEntry
from outcrop.errors import ModelError, OutcropError, ValidationError
from outcrop.families.text.body import parse_converse, parse_native_text
from outcrop.services import Services
from outcrop.tasks import ConverseTask
from outcrop.tasks.converse import ConverseResult

Event = tuple[str, dict[str, Any]]


async def converse_stream(request: Request) -> Response:
    state, entry, body = await _text_request(request, "ConverseStream")
    task = parse_converse(body)
    state.guard.check_task(entry.model_id, task)
    return _streaming(request, _encoded(text_events(state, entry, task), lambda kind, event: (kind, event)))


async def invoke_with_response_stream(request: Request) -> Response:
    state, entry, body = await _text_request(request, "InvokeModelWithResponseStream")
    task = parse_native_text(body)
    state.guard.check_task(entry.model_id, task)
    return _streaming(request, _encoded(text_events(state, entry, task), _chunk))


async def _text_request(request: Request, operation: str) -> tuple[Services, ModelEntry, dict[str, Any]]:
    raw = await authenticated_body(request)
    state = state_of(request)
    refusal = (f"The model is unsupported for streaming: {{model}} does not support {operation}; "
               "call InvokeModel with its request body instead.")  # fmt: skip
    entry = text_model(state, request.path_params["modelId"], refusal)
    check_json_content_type(request)
    return state, entry, dict(json_object(raw))


def _chunk(kind: str, event: dict[str, Any]) -> Event:
    """InvokeModelWithResponseStream wraps each of the model's own JSON events in a `chunk` (base64 bytes)."""
    return "chunk", {"bytes": base64.b64encode(json.dumps({kind: event}).encode()).decode()}


def _streaming(request: Request, body: AsyncIterator[bytes]) -> Response:
    headers = {REQUEST_ID_HEADER: request_id(request)}
    return StreamingResponse(body, media_type=event_stream.CONTENT_TYPE, headers=headers)


async def _encoded(events: AsyncIterator[Event], wrap: Callable[[str, dict[str, Any]], Event]) -> AsyncIterator[bytes]:
    try:
        async for kind, event in events:
            yield event_stream.event(*wrap(kind, event))
    except OutcropError as error:  # after the stream started, an error is an exception event, as AWS sends them
        name = error.code[0].lower() + error.code[1:]
        yield event_stream.exception(name if isinstance(error, ValidationError) else "modelStreamErrorException",
                                     error.message)  # fmt: skip


async def text_events(state: Services, entry: ModelEntry, task: ConverseTask) -> AsyncIterator[Event]:
    """Converse's stream events for one task: messageStart, deltas, contentBlockStop, messageStop, metadata."""
    started = time.monotonic()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def hand_over(delta: str) -> None:  # called in the model's worker thread
        loop.call_soon_threadsafe(queue.put_nowait, delta)

    stream = TextStream(hand_over)
    job = asyncio.ensure_future(state.executor.run(entry, task, stream))
    job.add_done_callback(lambda _: queue.put_nowait(None))
    sent = ""
    try:
        yield "messageStart", {"role": "assistant"}
        while (delta := await queue.get()) is not None:
            sent += delta
            yield "contentBlockDelta", {"delta": {"text": delta}, "contentBlockIndex": 0}
        result = _converse_result(entry, job.result())
        if result.text.startswith(sent) and len(result.text) > len(sent):
            yield "contentBlockDelta", {"delta": {"text": result.text[len(sent) :]}, "contentBlockIndex": 0}
        for event in _closing(result, started):
            yield event
    finally:
        stream.cancelled = True  # the client left (or the stream ended): generation stops at the next token


def _converse_result(entry: ModelEntry, result: object) -> ConverseResult:
    if not isinstance(result, ConverseResult):
        raise ModelError(f"{entry.model_id} returned {type(result).__name__} instead of a chat message.")
    return result


def _closing(result: ConverseResult, started: float) -> list[Event]:
    usage = {"inputTokens": result.input_tokens, "outputTokens": result.output_tokens,
             "totalTokens": result.input_tokens + result.output_tokens}  # fmt: skip
    latency = int((time.monotonic() - started) * 1000)
    return [
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("messageStop", {"stopReason": str(result.stop_reason)}),
        ("metadata", {"usage": usage, "metrics": {"latencyMs": latency}}),
    ]


ROUTES = [
    RawPathRoute("POST", "/model/{modelId}/converse-stream", converse_stream),
    RawPathRoute("POST", "/model/{modelId}/invoke-with-response-stream", invoke_with_response_stream),
]
