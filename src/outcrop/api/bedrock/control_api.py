"""The `bedrock` control plane's model operations: ListFoundationModels and GetFoundationModel."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from outcrop.api.bedrock.request import authenticated_body, state_of
from outcrop.api.bedrock.routing import RawPathRoute
from outcrop.api.errors import REQUEST_ID_HEADER, request_id
from outcrop.catalog import ModelEntry
from outcrop.errors import ValidationError
from outcrop.services.arns import model_arn

Json = dict[str, Any]
_FILTERS = ("byProvider", "byCustomizationType", "byOutputModality", "byInferenceType")


def summary(entry: ModelEntry, region: str) -> Json:
    return {
        "modelArn": model_arn(region, entry.model_id),
        "modelId": entry.model_id,
        "modelName": entry.name,
        "providerName": entry.provider,
        "inputModalities": list(entry.input_modalities),
        "outputModalities": list(entry.output_modalities),
        "responseStreamingSupported": entry.streaming,
        "customizationsSupported": [],
        "inferenceTypesSupported": ["ON_DEMAND"],
        "modelLifecycle": lifecycle(entry),
    }


def lifecycle(entry: ModelEntry) -> Json:
    """Bedrock's status for the id, with its end-of-life date where Bedrock retired it (Outcrop still serves it)."""
    found: Json = {"status": str(entry.lifecycle)}
    if entry.end_of_life is not None:
        found["endOfLifeTime"] = f"{entry.end_of_life}T00:00:00Z"
    return found


def _matches(entry: ModelEntry, query: dict[str, str]) -> bool:
    provider = query.get("byProvider")
    modality = query.get("byOutputModality")
    return (
        (provider is None or provider.lower() == entry.provider.lower())
        and (modality is None or modality in entry.output_modalities)
        and query.get("byInferenceType", "ON_DEMAND") == "ON_DEMAND"
        and "byCustomizationType" not in query
    )


async def list_foundation_models(request: Request) -> Response:
    await authenticated_body(request)
    state = state_of(request)
    query = dict(request.query_params)
    unknown = set(query) - set(_FILTERS)
    if unknown:
        raise ValidationError(f"Unknown query parameters: {', '.join(sorted(unknown))}; use {', '.join(_FILTERS)}.")
    region = state.settings.region
    models = [summary(e, region) for e in state.catalog.models.values() if _matches(e, query)]
    return JSONResponse({"modelSummaries": models}, headers={REQUEST_ID_HEADER: request_id(request)})


async def get_foundation_model(request: Request) -> Response:
    await authenticated_body(request)
    state = state_of(request)
    entry = state.catalog.resolve(request.path_params["modelIdentifier"])
    details = summary(entry, state.settings.region)
    return JSONResponse({"modelDetails": details}, headers={REQUEST_ID_HEADER: request_id(request)})


ROUTES = [
    RawPathRoute("GET", "/foundation-models", list_foundation_models),
    RawPathRoute("GET", "/foundation-models/{modelIdentifier}", get_foundation_model),
]
