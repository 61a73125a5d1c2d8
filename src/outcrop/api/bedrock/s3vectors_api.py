"""Amazon S3 Vectors on the wire (botocore's `s3vectors`, rest-json: `POST /<Operation>` with a JSON body), so the
boto3 `s3vectors` client works unchanged: vector buckets, indexes, PutVectors, GetVectors, ListVectors,
DeleteVectors and QueryVectors. Storage and search live in index/vector_buckets.py; blocking work runs in threads.

The service object (`VectorBuckets`) is built by the composition root (`services.build_services`) and closed with
the other services when the app shuts down.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from outcrop.api.bedrock import s3vectors_schema as schema
from outcrop.api.bedrock.request import authenticated_body, json_object, state_of
from outcrop.api.bedrock.routing import RawPathRoute
from outcrop.api.errors import REQUEST_ID_HEADER, request_id
from outcrop.errors import NotFoundError, ValidationError
from outcrop.families.schema import Schema, check
from outcrop.index.vector_buckets import NewVector, Segment, StoredVector, VectorBuckets
from outcrop.index.vector_registry import Bucket, VectorIndexInfo
from outcrop.index.vector_space import Metric

Json = dict[str, Any]
T = TypeVar("T")
_ARN = re.compile(r"arn:aws[-a-z0-9]*:s3vectors:([a-z0-9-]+):([0-9]{12}):bucket/([^/]+)(?:/index/([^/]+))?")


# -- plumbing ----------------------------------------------------------------------------------------------------


async def _body(request: Request, body_schema: Schema) -> Mapping[str, Any]:
    raw = await authenticated_body(request)
    return await asyncio.to_thread(_decode, raw, body_schema)  # a PutVectors body may be 20 MB of JSON


def _decode(raw: bytes, body_schema: Schema) -> Mapping[str, Any]:
    body = json_object(raw) if raw.strip() else {}
    check(body, body_schema)
    return body


def _reply(request: Request, payload: Json) -> Response:
    headers = {REQUEST_ID_HEADER: request_id(request)}
    return Response(json.dumps(payload), 200, media_type="application/json", headers=headers)


async def _run(request: Request, work: Callable[[VectorBuckets], T]) -> T:
    return await asyncio.to_thread(work, state_of(request).vector_buckets)


# -- addressing: by name or by ARN -----------------------------------------------------------------------------


def _bucket_name(request: Request, body: Mapping[str, Any]) -> str:
    name, arn = body.get("vectorBucketName"), body.get("vectorBucketArn")
    if (name is None) == (arn is None):
        raise ValidationError("Send exactly one of vectorBucketName and vectorBucketArn.")
    return str(name) if arn is None else _parse_arn(request, str(arn))[0]


def _index_name(request: Request, body: Mapping[str, Any]) -> tuple[str, str]:
    arn = body.get("indexArn")
    if arn is not None:
        if "vectorBucketName" in body or "indexName" in body:
            raise ValidationError("Send either indexArn or vectorBucketName with indexName, not both.")
        return _parse_arn(request, str(arn))
    if "vectorBucketName" not in body or "indexName" not in body:
        raise ValidationError("Send indexArn, or vectorBucketName together with indexName.")
    return str(body["vectorBucketName"]), str(body["indexName"])


def _parse_arn(request: Request, arn: str) -> tuple[str, str]:
    settings = state_of(request).settings
    found = _ARN.fullmatch(arn)
    if found is None:
        raise ValidationError(f"'{arn}' is not an S3 Vectors ARN (arn:aws:s3vectors:REGION:ACCOUNT:bucket/NAME).")
    region, account, bucket, index = found.groups()
    if (region, account) != (settings.region, settings.account_id):
        raise NotFoundError(
            f"'{arn}' names region {region}, account {account}; this server holds {settings.region}, "
            f"account {settings.account_id}."
        )
    return bucket, index or ""


def _bucket_arn(request: Request, bucket: str) -> str:
    settings = state_of(request).settings
    return f"arn:aws:s3vectors:{settings.region}:{settings.account_id}:bucket/{bucket}"


def _index_arn(request: Request, info: VectorIndexInfo) -> str:
    return f"{_bucket_arn(request, info.bucket)}/index/{info.name}"


# -- paging ----------------------------------------------------------------------------------------------------


def _token(scope: str, after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([scope, after]).encode()).decode()


def _after(body: Mapping[str, Any], scope: str) -> str | None:
    token = body.get("nextToken")
    if token is None:
        return None
    try:
        where, after = json.loads(base64.urlsafe_b64decode(str(token).encode()))
    except (ValueError, TypeError):
        raise ValidationError("nextToken is not one this server issued; leave it out to list from the start.") from None
    if where != scope or not isinstance(after, str):
        raise ValidationError("nextToken belongs to another listing; send the one this listing returned.")
    return after


def _paged(key: str, rows: list[Json], last: str | None, scope: str) -> Json:
    return {key: rows, **({"nextToken": _token(scope, last)} if last is not None else {})}


# -- buckets -----------------------------------------------------------------------------------------------------


async def create_vector_bucket(request: Request) -> Response:
    body = await _body(request, schema.CREATE_BUCKET)
    name, encryption = body["vectorBucketName"], dict(body.get("encryptionConfiguration", {}))
    await _run(request, lambda s: s.create_bucket(name, encryption))
    return _reply(request, {"vectorBucketArn": _bucket_arn(request, name)})


async def get_vector_bucket(request: Request) -> Response:
    body = await _body(request, schema.BUCKET)
    name = _bucket_name(request, body)
    bucket = await _run(request, lambda s: s.registry.bucket(name))
    encryption = bucket.encryption or {"sseType": "AES256"}
    return _reply(request, {"vectorBucket": {**_bucket_json(request, bucket), "encryptionConfiguration": encryption}})


def _bucket_json(request: Request, bucket: Bucket) -> Json:
    arn = _bucket_arn(request, bucket.name)
    return {"vectorBucketName": bucket.name, "vectorBucketArn": arn, "creationTime": bucket.created_at}


async def list_vector_buckets(request: Request) -> Response:
    body = await _body(request, schema.LIST_BUCKETS)
    limit, prefix = int(body.get("maxResults", 500)), str(body.get("prefix", ""))
    after = _after(body, "buckets") or ""
    page = await _run(request, lambda s: s.registry.buckets(prefix, after, limit + 1))
    last = page[limit - 1].name if len(page) > limit else None
    return _reply(request, _paged("vectorBuckets", [_bucket_json(request, b) for b in page[:limit]], last, "buckets"))


async def delete_vector_bucket(request: Request) -> Response:
    body = await _body(request, schema.BUCKET)
    name = _bucket_name(request, body)
    await _run(request, lambda s: s.delete_bucket(name))
    return _reply(request, {})


# -- indexes -----------------------------------------------------------------------------------------------------


async def create_index(request: Request) -> Response:
    body = await _body(request, schema.CREATE_INDEX)
    bucket = _bucket_name(request, body)
    keys = body.get("metadataConfiguration", {}).get("nonFilterableMetadataKeys", [])
    if len(set(keys)) != len(keys):
        raise ValidationError("metadataConfiguration.nonFilterableMetadataKeys lists a key twice; list each once.")
    metric, encryption = Metric(body["distanceMetric"]), dict(body.get("encryptionConfiguration", {}))
    info = await _run(
        request,
        lambda s: s.create_index(
            bucket,
            body["indexName"],
            dimension=body["dimension"],
            metric=metric,
            non_filterable=keys,
            encryption=encryption,
        ),
    )
    return _reply(request, {"indexArn": _index_arn(request, info)})


async def get_index(request: Request) -> Response:
    body = await _body(request, schema.INDEX)
    bucket, name = _index_name(request, body)
    info = await _run(request, lambda s: s.registry.index(bucket, name))
    index: Json = {**_index_json(request, info), "dataType": "float32", "dimension": info.dimension,
                   "distanceMetric": info.metric.value,
                   "encryptionConfiguration": info.encryption or {"sseType": "AES256"}}  # fmt: skip
    if info.non_filterable:
        index["metadataConfiguration"] = {"nonFilterableMetadataKeys": list(info.non_filterable)}
    return _reply(request, {"index": index})


def _index_json(request: Request, info: VectorIndexInfo) -> Json:
    return {"vectorBucketName": info.bucket, "indexName": info.name, "indexArn": _index_arn(request, info),
            "creationTime": info.created_at}  # fmt: skip


async def list_indexes(request: Request) -> Response:
    body = await _body(request, schema.LIST_INDEXES)
    bucket = _bucket_name(request, body)
    limit, prefix = int(body.get("maxResults", 500)), str(body.get("prefix", ""))
    after = _after(body, f"indexes/{bucket}") or ""
    page = await _run(request, lambda s: s.registry.indexes(bucket, prefix, after, limit + 1))
    last = page[limit - 1].name if len(page) > limit else None
    rows = [_index_json(request, info) for info in page[:limit]]
    return _reply(request, _paged("indexes", rows, last, f"indexes/{bucket}"))


async def delete_index(request: Request) -> Response:
    body = await _body(request, schema.INDEX)
    bucket, name = _index_name(request, body)
    await _run(request, lambda s: s.delete_index(bucket, name))
    return _reply(request, {})


# -- vectors -----------------------------------------------------------------------------------------------------


async def put_vectors(request: Request) -> Response:
    body = await _body(request, schema.PUT_VECTORS)
    bucket, name = _index_name(request, body)
    vectors = [NewVector(v["key"], v["data"]["float32"], v.get("metadata")) for v in body["vectors"]]
    await _run(request, lambda s: s.put(bucket, name, vectors))
    return _reply(request, {})


async def get_vectors(request: Request) -> Response:
    body = await _body(request, schema.GET_VECTORS)
    bucket, name = _index_name(request, body)
    found = await _run(request, lambda s: s.get(bucket, name, body["keys"]))
    return _reply(request, {"vectors": [_vector_json(v, body) for v in found]})


def _vector_json(vector: StoredVector, body: Mapping[str, Any]) -> Json:
    row: Json = {"key": vector.key}
    if body.get("returnData", False):
        row["data"] = {"float32": vector.data.tolist()}
    if body.get("returnMetadata", False):
        row["metadata"] = vector.metadata
    return row


async def list_vectors(request: Request) -> Response:
    body = await _body(request, schema.LIST_VECTORS)
    bucket, name = _index_name(request, body)
    segment = _segment(body)
    scope = f"vectors/{bucket}/{name}/{segment}"
    after, limit = _after(body, scope), int(body.get("maxResults", 500))
    found, last = await _run(request, lambda s: s.list_vectors(bucket, name, after, limit, segment))
    return _reply(request, _paged("vectors", [_vector_json(v, body) for v in found], last, scope))


def _segment(body: Mapping[str, Any]) -> Segment | None:
    count, index = body.get("segmentCount"), body.get("segmentIndex")
    if count is None and index is None:
        return None
    if count is None or index is None or not 0 <= index < count:
        raise ValidationError("Send segmentCount (1-16) with segmentIndex (0 to segmentCount - 1), or neither.")
    return Segment(count, index)


async def delete_vectors(request: Request) -> Response:
    body = await _body(request, schema.DELETE_VECTORS)
    bucket, name = _index_name(request, body)
    await _run(request, lambda s: s.delete(bucket, name, body["keys"]))
    return _reply(request, {})


async def query_vectors(request: Request) -> Response:
    body = await _body(request, schema.QUERY_VECTORS)
    bucket, name = _index_name(request, body)
    query, top_k, where = body["queryVector"]["float32"], body["topK"], body.get("filter")
    metric, matches = await _run(request, lambda s: s.query(bucket, name, query, top_k, where))
    rows: list[Json] = []
    for match in matches:
        row: Json = {"key": match.key}
        if body.get("returnDistance", False):
            row["distance"] = match.distance
        if body.get("returnMetadata", False):
            row["metadata"] = match.metadata
        rows.append(row)
    return _reply(request, {"vectors": rows, "distanceMetric": metric.value})


ROUTES = [
    RawPathRoute("POST", "/CreateVectorBucket", create_vector_bucket),
    RawPathRoute("POST", "/GetVectorBucket", get_vector_bucket),
    RawPathRoute("POST", "/ListVectorBuckets", list_vector_buckets),
    RawPathRoute("POST", "/DeleteVectorBucket", delete_vector_bucket),
    RawPathRoute("POST", "/CreateIndex", create_index),
    RawPathRoute("POST", "/GetIndex", get_index),
    RawPathRoute("POST", "/ListIndexes", list_indexes),
    RawPathRoute("POST", "/DeleteIndex", delete_index),
    RawPathRoute("POST", "/PutVectors", put_vectors),
    RawPathRoute("POST", "/GetVectors", get_vectors),
    RawPathRoute("POST", "/ListVectors", list_vectors),
    RawPathRoute("POST", "/DeleteVectors", delete_vectors),
    RawPathRoute("POST", "/QueryVectors", query_vectors),
]
