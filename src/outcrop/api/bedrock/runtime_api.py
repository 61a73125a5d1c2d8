"""bedrock-runtime operations: InvokeModel and Converse."""

from __future__ import annotations

import asyncio
import json
import time

from starlette.requests import Request
from starlette.responses import Response

from outcrop.api.bedrock.dispatch import encode_invoke, parse_invoke_body, token_headers
from outcrop.api.bedrock.request import authenticated_body, check_json_content_type, json_object, state_of
from outcrop.api.bedrock.routing import RawPathRoute
from outcrop.api.disconnect import until_disconnect
from outcrop.api.errors import REQUEST_ID_HEADER, request_id
from outcrop.catalog import Family, ModelEntry
from outcrop.errors import ModelError, ValidationError
from outcrop.families.text import encode_converse, parse_converse
from outcrop.runtime.embedder import mean_of
from outcrop.services import Services
from outcrop.tasks import EmbedBatchTask, EmbedTask, Task
from outcrop.tasks.converse import ConverseResult
from outcrop.tasks.generation import ImagesResult


async def invoke_model(request: Request) -> Response:
    body = await authenticated_body(request)
    state = state_of(request)
    entry = state.catalog.resolve(request.path_params["modelId"])
    check_json_content_type(request)
    payload_in = json_object(body)
    task = parse_invoke_body(entry, payload_in)
    state.guard.check_task(entry.model_id, task)
    started = time.monotonic()
    result = await until_disconnect(request, _execute(state, entry, task))
    latency_ms = int((time.monotonic() - started) * 1000)
    headers = {
        REQUEST_ID_HEADER: request_id(request),
        "X-Amzn-Bedrock-Invocation-Latency": str(latency_ms),
        **token_headers(entry, result),
    }
    payload = json.dumps(encode_invoke(entry, task, result, payload_in))
    return Response(payload, media_type="application/json", headers=headers)


async def _execute(state: Services, entry: ModelEntry, task: Task) -> object:
    """Run `task`: embeddings through the embedder (batched, cached), the rest on the executor, images released."""
    if isinstance(task, EmbedTask):
        result: object = await state.embedder.embed(entry, task)
    elif isinstance(task, EmbedBatchTask):
        results = list(await asyncio.gather(*(state.embedder.embed(entry, inner) for inner in task.tasks)))
        result = mean_of(results, task.tasks[0].dimension) if task.mean else results
    else:
        result = await state.executor.run(entry, task)
    if isinstance(result, ImagesResult):
        result = await asyncio.to_thread(state.release.finish_images, entry.model_id, task, result)
    return result


def text_model(state: Services, model_id: str, refusal: str) -> ModelEntry:
    """The entry of a text model; `refusal` (formatted with the model id) for any other family."""
    entry = state.catalog.resolve(model_id)
    if entry.family is not Family.TEXT:
        raise ValidationError(refusal.format(model=entry.model_id))
    return entry


async def converse(request: Request) -> Response:
    body = await authenticated_body(request)
    state = state_of(request)
    refusal = "{model} doesn't support the Converse API; call InvokeModel with its native request body."
    entry = text_model(state, request.path_params["modelId"], refusal)
    task = parse_converse(json_object(body))
    state.guard.check_task(entry.model_id, task)
    started = time.monotonic()
    result = await until_disconnect(request, state.executor.run(entry, task))
    latency_ms = int((time.monotonic() - started) * 1000)
    if not isinstance(result, ConverseResult):
        raise ModelError(f"{entry.model_id} returned {type(result).__name__} instead of a chat message.")
    payload = {**encode_converse(result), "metrics": {"latencyMs": latency_ms}}
    return Response(
        json.dumps(payload), media_type="application/json", headers={REQUEST_ID_HEADER: request_id(request)}
    )


ROUTES = [
    RawPathRoute("POST", "/model/{modelId}/invoke", invoke_model),
    RawPathRoute("POST", "/model/{modelId}/converse", converse),
]
