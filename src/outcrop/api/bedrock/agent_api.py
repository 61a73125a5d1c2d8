"""The `bedrock-agent` control plane for knowledge bases: CreateKnowledgeBase, CreateDataSource, StartIngestionJob,
GetIngestionJob, ListIngestionJobs and their Get/List/Delete companions, so boto3 code can drive ingestion.

Data sources read S3 (`s3Configuration`, through the server's S3 endpoint); a folder on the server is ingested
through the native API. The vector store is the embedded index, or pgvector for `storageConfiguration.type` RDS.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from outcrop.api.bedrock.agent_schema import DATA_SOURCE, KNOWLEDGE_BASE, LIST, LIST_JOBS, START_JOB
from outcrop.api.bedrock.request import authenticated_body, json_object, state_of
from outcrop.api.bedrock.routing import Endpoint, RawPathRoute
from outcrop.api.errors import REQUEST_ID_HEADER, request_id
from outcrop.errors import ResourceNotFoundError, ValidationError
from outcrop.families.schema import check
from outcrop.index.knowledge_bases import KnowledgeBases
from outcrop.index.registry import DataSource, Ingestion, KnowledgeBase

Json = dict[str, Any]
_MODEL_ARN_PREFIX = "foundation-model/"


def _reply(request: Request, payload: Json, status: int = 200) -> Response:
    headers = {REQUEST_ID_HEADER: request_id(request)}
    return Response(json.dumps(payload), status, media_type="application/json", headers=headers)


ANY: Mapping[str, Any] = {}  # GET and DELETE: no body, whatever the client sent is ignored


async def _no_body(request: Request) -> Mapping[str, Any]:
    await authenticated_body(request)
    return {}


async def _body(request: Request, schema: Mapping[str, Any]) -> Mapping[str, Any]:
    raw = await authenticated_body(request)
    body = json_object(raw) if raw.strip() else {}
    check(body, schema)
    return body


def threaded(schema: Mapping[str, Any], work: Callable[[Request, Mapping[str, Any]], Response]) -> Endpoint:
    """An endpoint that reads and checks the body on the event loop, then does `work` (registry and index calls:
    SQLite or PostgreSQL) in a thread."""

    async def endpoint(request: Request) -> Response:
        body = await _body(request, schema) if schema is not ANY else await _no_body(request)
        return await asyncio.to_thread(work, request, body)

    endpoint.__name__ = work.__name__
    return endpoint


def _kbs(request: Request) -> KnowledgeBases:
    return state_of(request).knowledge_bases


def _time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


# knowledge bases


def create_knowledge_base(request: Request, body: Mapping[str, Any]) -> Response:
    vector = body["knowledgeBaseConfiguration"].get("vectorKnowledgeBaseConfiguration")
    if body["knowledgeBaseConfiguration"]["type"] != "VECTOR" or vector is None:
        raise ValidationError("knowledgeBaseConfiguration must be type VECTOR with vectorKnowledgeBaseConfiguration.")
    model_id = _model_id(vector["embeddingModelArn"])
    dimension = (vector.get("embeddingModelConfiguration", {}).get("bedrockEmbeddingModelConfiguration", {})
                 .get("dimensions", 1024))  # fmt: skip
    storage = body.get("storageConfiguration", {"type": "OPENSEARCH_SERVERLESS"})
    config = {key: body[key] for key in ("roleArn", "knowledgeBaseConfiguration") if key in body}
    kb = _kbs(request).create(body["name"], model_id, dimension, body.get("description", ""),
                              "pgvector" if storage["type"] == "RDS" else "embedded",
                              config={**config, "storageConfiguration": storage})  # fmt: skip
    return _reply(request, {"knowledgeBase": _kb_json(request, kb)}, 202)


def _model_id(arn: str) -> str:
    if _MODEL_ARN_PREFIX not in arn:
        raise ValidationError(
            f"embeddingModelArn '{arn}' is not a foundation-model ARN; send "
            "arn:aws:bedrock:REGION::foundation-model/MODEL_ID (for example amazon.titan-embed-image-v1)."
        )
    return arn.split(_MODEL_ARN_PREFIX, 1)[1]


def _kb_json(request: Request, kb: KnowledgeBase) -> Json:
    settings = state_of(request).settings
    arn = f"arn:aws:bedrock:{settings.region}:{settings.account_id}:knowledge-base/{kb.id}"
    model_arn = f"arn:aws:bedrock:{settings.region}::{_MODEL_ARN_PREFIX}{kb.model_id}"
    dimensions = {"bedrockEmbeddingModelConfiguration": {"dimensions": kb.dimension}}
    vector = {"embeddingModelArn": model_arn, "embeddingModelConfiguration": dimensions}
    return {
        "knowledgeBaseId": kb.id, "name": kb.name, "knowledgeBaseArn": arn, "description": kb.description,
        "roleArn": kb.config.get("roleArn", f"arn:aws:iam::{settings.account_id}:role/outcrop"),
        "knowledgeBaseConfiguration": kb.config.get("knowledgeBaseConfiguration",
                                                    {"type": "VECTOR", "vectorKnowledgeBaseConfiguration": vector}),
        "storageConfiguration": kb.config.get("storageConfiguration", {"type": "OPENSEARCH_SERVERLESS"}),
        "status": "ACTIVE", "createdAt": _time(kb.created_at), "updatedAt": _time(kb.created_at),
    }  # fmt: skip


def get_knowledge_base(request: Request, body: Mapping[str, Any]) -> Response:
    kb = _kbs(request).get(request.path_params["knowledgeBaseId"])
    return _reply(request, {"knowledgeBase": _kb_json(request, kb)})


def list_knowledge_bases(request: Request, body: Mapping[str, Any]) -> Response:
    summaries = [{"knowledgeBaseId": kb.id, "name": kb.name, "description": kb.description, "status": "ACTIVE",
                  "updatedAt": _time(kb.created_at)} for kb in _kbs(request).all()]  # fmt: skip
    return _reply(request, _page("knowledgeBaseSummaries", summaries, body, "knowledgebases"))


def delete_knowledge_base(request: Request, body: Mapping[str, Any]) -> Response:
    kbs = _kbs(request)
    kb = kbs.get(request.path_params["knowledgeBaseId"])
    kbs.delete(kb.id)
    return _reply(request, {"knowledgeBaseId": kb.id, "status": "DELETING"}, 202)


# data sources


def create_data_source(request: Request, body: Mapping[str, Any]) -> Response:
    if body.get("dataDeletionPolicy", "DELETE") != "DELETE":
        raise ValidationError(
            "dataDeletionPolicy RETAIN is not supported: deleting a data source here removes its vectors. "
            "Send DELETE or leave it out."
        )
    location = _location(body["dataSourceConfiguration"])
    chunking = body.get("vectorIngestionConfiguration", {}).get("chunkingConfiguration")
    source = _kbs(request).create_source(request.path_params["knowledgeBaseId"], body["name"], location,
                                         body.get("description", ""), chunking)  # fmt: skip
    return _reply(request, {"dataSource": _source_json(source)})


def _location(config: Mapping[str, Any]) -> str:
    if config["type"] != "S3" or "s3Configuration" not in config:
        raise ValidationError(
            f"dataSourceConfiguration type {config['type']} is not supported; send type S3 with s3Configuration "
            "(a folder on the server is ingested through POST /v1/knowledge-bases/{id}/ingestions)."
        )
    s3 = config["s3Configuration"]
    bucket = s3["bucketArn"].removeprefix("arn:aws:s3:::")
    prefixes: Sequence[str] = s3.get("inclusionPrefixes", [])
    if "/" in bucket or ":" in bucket or len(prefixes) > 1:
        raise ValidationError(
            "s3Configuration needs bucketArn arn:aws:s3:::BUCKET and at most one inclusionPrefixes entry."
        )
    return f"s3://{bucket}/{prefixes[0] if prefixes else ''}"


def _source_json(source: DataSource) -> Json:
    bucket, _, prefix = source.source.removeprefix("s3://").partition("/")
    if source.source.startswith("s3://"):
        s3: Json = {"bucketArn": f"arn:aws:s3:::{bucket}", **({"inclusionPrefixes": [prefix]} if prefix else {})}
        config: Json = {"type": "S3", "s3Configuration": s3}
    else:
        config = {"type": "CUSTOM"}  # a server folder, created through the native API
    vector = {"chunkingConfiguration": source.chunking} if source.chunking else {}
    return {"knowledgeBaseId": source.kb_id, "dataSourceId": source.id, "name": source.name, "status": "AVAILABLE",
            "description": source.description, "dataSourceConfiguration": config, "dataDeletionPolicy": "DELETE",
            "vectorIngestionConfiguration": vector, "createdAt": _time(source.created_at),
            "updatedAt": _time(source.updated_at)}  # fmt: skip


def get_data_source(request: Request, body: Mapping[str, Any]) -> Response:
    params = request.path_params
    source = _kbs(request).source(params["knowledgeBaseId"], params["dataSourceId"])
    return _reply(request, {"dataSource": _source_json(source)})


def list_data_sources(request: Request, body: Mapping[str, Any]) -> Response:
    kbs = _kbs(request)
    summaries = [{"knowledgeBaseId": s.kb_id, "dataSourceId": s.id, "name": s.name, "status": "AVAILABLE",
                  "description": s.description, "updatedAt": _time(s.updated_at)}
                 for s in kbs.registry.sources(kbs.get(request.path_params["knowledgeBaseId"]).id)]  # fmt: skip
    return _reply(request, _page("dataSourceSummaries", summaries, body, request.url.path))


def delete_data_source(request: Request, body: Mapping[str, Any]) -> Response:
    params = request.path_params
    source = _kbs(request).source(params["knowledgeBaseId"], params["dataSourceId"])
    _kbs(request).delete_source(source.kb_id, source.id)
    return _reply(request, {"knowledgeBaseId": source.kb_id, "dataSourceId": source.id, "status": "DELETING"}, 202)


# ingestion jobs


async def start_ingestion_job(request: Request) -> Response:
    body = await _body(request, START_JOB)
    params = request.path_params
    run = await _kbs(request).ingest_source(params["knowledgeBaseId"], params["dataSourceId"])
    return _reply(request, {"ingestionJob": _job_json(run, body.get("description"))}, 202)


def statistics(report: Mapping[str, Any]) -> Json:
    """Bedrock's IngestionJobStatistics from an ingestion report."""
    return {
        "numberOfDocumentsScanned": report.get("scanned", report.get("total", 0)),
        "numberOfMetadataDocumentsScanned": report.get("metadata_scanned", 0),
        "numberOfNewDocumentsIndexed": report.get("added", 0),
        "numberOfModifiedDocumentsIndexed": report.get("changed", 0),
        "numberOfMetadataDocumentsModified": 0,  # metadata changes re-embed the document: counted as modified
        "numberOfDocumentsDeleted": report.get("deleted", 0),
        "numberOfDocumentsFailed": report.get("failed", 0),
    }


def _job_json(run: Ingestion, description: str | None = None) -> Json:
    job: Json = {"knowledgeBaseId": run.kb_id, "dataSourceId": run.source_id, "ingestionJobId": run.id,
                 "status": run.status, "statistics": statistics(run.report), "startedAt": _time(run.started_at),
                 "updatedAt": _time(run.ended_at or run.started_at)}  # fmt: skip
    reasons = [*run.report.get("failures", []), *([run.error] if run.error else [])]
    if reasons:
        job["failureReasons"] = reasons
    if description:
        job["description"] = description
    return job


def get_ingestion_job(request: Request, body: Mapping[str, Any]) -> Response:
    params = request.path_params
    run = _kbs(request).ingestion(params["ingestionJobId"])
    if (run.kb_id, run.source_id) != (params["knowledgeBaseId"], params["dataSourceId"]):
        raise ResourceNotFoundError(
            f"Ingestion job {run.id} does not belong to data source {params['dataSourceId']} of knowledge base "
            f"{params['knowledgeBaseId']}."
        )
    return _reply(request, {"ingestionJob": _job_json(run)})


def list_ingestion_jobs(request: Request, body: Mapping[str, Any]) -> Response:
    params = request.path_params
    source = _kbs(request).source(params["knowledgeBaseId"], params["dataSourceId"])
    runs = _kbs(request).registry.ingestions(source.kb_id, source.id)
    wanted = {value for f in body.get("filters", []) for value in f["values"]}
    runs = [run for run in runs if not wanted or run.status in wanted]
    order = body.get("sortBy", {"attribute": "STARTED_AT", "order": "ASCENDING"})
    key = (lambda run: run.status) if order["attribute"] == "STATUS" else (lambda run: run.started_at)
    runs.sort(key=key, reverse=order["order"] == "DESCENDING")
    summaries = [{k: v for k, v in _job_json(run).items() if k != "failureReasons"} for run in runs]
    return _reply(request, _page("ingestionJobSummaries", summaries, body, request.url.path))


def _page(key: str, rows: list[Json], body: Mapping[str, Any], scope: str) -> Json:
    """One page of `rows`; the opaque nextToken names the listing it belongs to."""
    start = _token_offset(body.get("nextToken"), scope)
    size = int(body.get("maxResults", 1000))
    page: Json = {key: rows[start : start + size]}
    if start + size < len(rows):
        page["nextToken"] = base64.urlsafe_b64encode(json.dumps([scope, start + size]).encode()).decode()
    return page


def _token_offset(token: str | None, scope: str) -> int:
    if token is None:
        return 0
    try:
        where, offset = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise ValidationError("nextToken is not one this server issued; leave it out to list from the start.") from None
    if where != scope or not isinstance(offset, int):
        raise ValidationError("nextToken belongs to another listing; send the one this listing returned.")
    return offset


_KB = "/knowledgebases/{knowledgeBaseId}"
_DS = _KB + "/datasources/{dataSourceId}"
ROUTES = [
    RawPathRoute("PUT", "/knowledgebases/", threaded(KNOWLEDGE_BASE, create_knowledge_base)),
    RawPathRoute("POST", "/knowledgebases/", threaded(LIST, list_knowledge_bases)),
    RawPathRoute("GET", _KB, threaded(ANY, get_knowledge_base)),
    RawPathRoute("DELETE", _KB, threaded(ANY, delete_knowledge_base)),
    RawPathRoute("PUT", _KB + "/datasources/", threaded(DATA_SOURCE, create_data_source)),
    RawPathRoute("POST", _KB + "/datasources/", threaded(LIST, list_data_sources)),
    RawPathRoute("GET", _DS, threaded(ANY, get_data_source)),
    RawPathRoute("DELETE", _DS, threaded(ANY, delete_data_source)),
    RawPathRoute("PUT", _DS + "/ingestionjobs/", start_ingestion_job),
    RawPathRoute("POST", _DS + "/ingestionjobs/", threaded(LIST_JOBS, list_ingestion_jobs)),
    RawPathRoute("GET", _DS + "/ingestionjobs/{ingestionJobId}", threaded(ANY, get_ingestion_job)),
]
