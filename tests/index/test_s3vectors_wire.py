"""S3 Vectors through an unmodified boto3 `s3vectors` client against a live server, on the embedded index and on
pgvector (a real PostgreSQL): buckets, indexes, PutVectors/GetVectors/ListVectors/DeleteVectors, QueryVectors with
distances checked against numpy and every filter operator, AWS's error codes, and a restart."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from botocore.exceptions import ClientError

from support.live_server import TEST_KEY, TEST_SECRET, start_server

DIM = 8


@pytest.fixture(scope="module", params=["embedded", "pgvector"])
def server(request, tmp_path_factory, models_dir):
    overrides = {"pg_dsn": request.getfixturevalue("postgres_dsn")} if request.param == "pgvector" else {}
    home = tmp_path_factory.mktemp(f"s3v-{request.param}")
    with start_server(home, models_dir, "tiny", access_key_id=TEST_KEY, secret_access_key=TEST_SECRET,
                      **overrides) as live:  # fmt: skip
        yield live


@pytest.fixture(scope="module")
def s3v(server):
    return server.client("s3vectors")


def new_index(s3v, metric: str = "cosine", dimension: int = DIM, **extra) -> tuple[str, str]:
    bucket, index = f"b-{uuid.uuid4().hex[:8]}", "idx"
    s3v.create_vector_bucket(vectorBucketName=bucket)
    s3v.create_index(vectorBucketName=bucket, indexName=index, dataType="float32", dimension=dimension,
                     distanceMetric=metric, **extra)  # fmt: skip
    return bucket, index


def data(n: int, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32) * 3


def put(s3v, bucket: str, index: str, rows: np.ndarray, metadata: list[dict] | None = None) -> None:
    vectors = [{"key": f"k{i:03d}", "data": {"float32": row.tolist()}} for i, row in enumerate(rows)]
    for vector, meta in zip(vectors, metadata or [None] * len(vectors), strict=True):
        if meta is not None:
            vector["metadata"] = meta
    s3v.put_vectors(vectorBucketName=bucket, indexName=index, vectors=vectors)


def error_code(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Message"]


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_query_returns_nearest_first_with_numpy_distances(s3v, metric):
    bucket, index = new_index(s3v, metric)
    rows = data(40)
    put(s3v, bucket, index, rows)
    query = rows[3] + 0.01
    reply = s3v.query_vectors(vectorBucketName=bucket, indexName=index, topK=5,
                              queryVector={"float32": query.tolist()}, returnDistance=True)  # fmt: skip
    x, q = rows.astype(np.float64), query.astype(np.float64)
    if metric == "euclidean":
        expected = np.linalg.norm(x - q, axis=1)
    else:
        expected = 1 - (x @ q) / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
    order = np.argsort(expected)[:5]
    assert reply["distanceMetric"] == metric
    assert [v["key"] for v in reply["vectors"]] == [f"k{i:03d}" for i in order]
    assert reply["vectors"][0]["key"] == "k003"
    np.testing.assert_allclose([v["distance"] for v in reply["vectors"]], expected[order], rtol=1e-5, atol=1e-6)
    assert "metadata" not in reply["vectors"][0]


def test_euclidean_ranking_survives_growing_norms(s3v):
    """Vectors far longer than the first ones force a re-encoding (vector_space.py); order stays exact."""
    bucket, index = new_index(s3v, "euclidean")
    small = data(10) / 100
    put(s3v, bucket, index, small)
    big = data(10, seed=8) * 1000
    s3v.put_vectors(vectorBucketName=bucket, indexName=index,
                    vectors=[{"key": f"big{i}", "data": {"float32": r.tolist()}} for i, r in enumerate(big)])  # fmt: skip
    every = np.vstack([small, big]).astype(np.float64)
    keys = [f"k{i:03d}" for i in range(10)] + [f"big{i}" for i in range(10)]
    for query in (small[2], big[4] * 0.9):
        reply = s3v.query_vectors(vectorBucketName=bucket, indexName=index, topK=20,
                                  queryVector={"float32": query.tolist()})  # fmt: skip
        order = np.argsort(np.linalg.norm(every - query, axis=1), kind="stable")
        assert [v["key"] for v in reply["vectors"]] == [keys[i] for i in order]


FILTERS = [
    ({"genre": "drama"}, {0, 3}),
    ({"genre": {"$eq": "comedy"}}, {1, 3}),
    ({"genre": {"$ne": "drama"}}, {1, 2, 4}),
    ({"year": {"$gt": 2019}}, {1, 2}),
    ({"year": {"$gte": 2019}}, {0, 1, 2}),
    ({"year": {"$lt": 2019}}, {3}),
    ({"year": {"$lte": 2019.0}}, {0, 3}),
    ({"genre": {"$in": ["horror", "comedy"]}}, {1, 2, 3}),
    ({"genre": {"$nin": ["drama", "horror"]}}, {1, 4}),
    ({"year": {"$exists": False}}, {4}),
    ({"genre": {"$exists": True}}, {0, 1, 2, 3}),
    ({"$and": [{"genre": "drama"}, {"year": {"$lt": 2019}}]}, {3}),
    ({"$or": [{"genre": "horror"}, {"year": 2019}]}, {0, 2}),
    ({"year": {"$gte": 2019, "$lt": 2021}}, {0, 1}),
    ({"genre": "drama", "fresh": True}, {0}),
    ({"note": "long text"}, set()),  # non-filterable: never matches
]
META = [
    {"genre": "drama", "year": 2019, "fresh": True, "note": "long text"},
    {"genre": "comedy", "year": 2020},
    {"genre": "horror", "year": 2023},
    {"genre": ["drama", "comedy"], "year": 1999, "fresh": False},
    {"note": "long text"},
]


@pytest.fixture(scope="module")
def filtered(s3v):
    bucket, index = new_index(s3v, metadataConfiguration={"nonFilterableMetadataKeys": ["note"]})
    put(s3v, bucket, index, data(5), META)
    return bucket, index


@pytest.mark.parametrize(("where", "expected"), FILTERS, ids=[str(f[0]) for f in FILTERS])
def test_filters(s3v, filtered, where, expected):
    bucket, index = filtered
    reply = s3v.query_vectors(vectorBucketName=bucket, indexName=index, topK=10, filter=where,
                              queryVector={"float32": data(1, seed=3)[0].tolist()}, returnMetadata=True)  # fmt: skip
    assert {int(v["key"][1:]) for v in reply["vectors"]} == expected
    assert all(v["metadata"] == META[int(v["key"][1:])] for v in reply["vectors"])


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ({"year": {"$gt": "2020"}}, "must be a finite number"),
        ({"genre": {"$like": "d%"}}, "unknown operator '$like'"),
        ({"$and": []}, "non-empty array"),
        ({"$gt": {"year": 1}}, "cannot stand at this level"),
        ({"genre": {"$in": "drama"}}, "non-empty array of strings"),
        ({"genre": {"$eq": ["a"]}}, "must be a string, a finite number or a boolean"),
    ],
)
def test_malformed_filter_is_a_validation_error(s3v, filtered, where, says):
    bucket, index = filtered
    code, status, message = error_code(s3v.query_vectors, vectorBucketName=bucket, indexName=index, topK=1,
                                       queryVector={"float32": [1.0] * DIM}, filter=where)  # fmt: skip
    assert (code, status) == ("ValidationException", 400)
    assert says in message


def test_get_list_delete_vectors(s3v):
    bucket, index = new_index(s3v)
    rows = data(25)
    put(s3v, bucket, index, rows, [{"i": i} for i in range(25)])
    got = s3v.get_vectors(vectorBucketName=bucket, indexName=index, keys=["k004", "nope", "k001"],
                          returnData=True, returnMetadata=True)["vectors"]  # fmt: skip
    assert [v["key"] for v in got] == ["k004", "k001"]
    assert got[0]["data"]["float32"] == rows[4].tolist() and got[0]["metadata"] == {"i": 4}
    bare = s3v.get_vectors(vectorBucketName=bucket, indexName=index, keys=["k004"])["vectors"]
    assert bare == [{"key": "k004"}]
    keys, token, pages = [], None, 0
    while True:
        page = s3v.list_vectors(vectorBucketName=bucket, indexName=index, maxResults=10, returnMetadata=True,
                                **({"nextToken": token} if token else {}))  # fmt: skip
        keys += [v["key"] for v in page["vectors"]]
        assert all(v["metadata"] == {"i": int(v["key"][1:])} and "data" not in v for v in page["vectors"])
        pages += 1
        token = page.get("nextToken")
        if token is None:
            break
    assert keys == [f"k{i:03d}" for i in range(25)] and pages == 3
    segments = [s3v.list_vectors(vectorBucketName=bucket, indexName=index, segmentCount=3, segmentIndex=i)
                for i in range(3)]  # fmt: skip
    assert sorted(v["key"] for page in segments for v in page["vectors"]) == keys
    s3v.delete_vectors(vectorBucketName=bucket, indexName=index, keys=["k000", "k001", "missing"])
    left = s3v.list_vectors(vectorBucketName=bucket, indexName=index)["vectors"]
    assert [v["key"] for v in left] == keys[2:]


def test_put_upserts_by_key(s3v):
    bucket, index = new_index(s3v)
    put(s3v, bucket, index, data(2), [{"v": 1}, {"v": 1}])
    s3v.put_vectors(vectorBucketName=bucket, indexName=index,
                    vectors=[{"key": "k000", "data": {"float32": [1.0] * DIM}, "metadata": {"v": 2}}])  # fmt: skip
    got = s3v.get_vectors(vectorBucketName=bucket, indexName=index, keys=["k000"], returnData=True,
                          returnMetadata=True)["vectors"]  # fmt: skip
    assert got == [{"key": "k000", "data": {"float32": [1.0] * DIM}, "metadata": {"v": 2}}]
    assert len(s3v.list_vectors(vectorBucketName=bucket, indexName=index)["vectors"]) == 2


def test_buckets_and_indexes_by_name_and_arn(s3v):
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    arn = s3v.create_vector_bucket(vectorBucketName=bucket)["vectorBucketArn"]
    assert arn == f"arn:aws:s3vectors:us-east-1:123456789012:bucket/{bucket}"
    assert s3v.get_vector_bucket(vectorBucketArn=arn)["vectorBucket"]["vectorBucketName"] == bucket
    index_arn = s3v.create_index(vectorBucketArn=arn, indexName="one", dataType="float32", dimension=3,
                                 distanceMetric="euclidean",
                                 metadataConfiguration={"nonFilterableMetadataKeys": ["text"]})["indexArn"]  # fmt: skip
    s3v.create_index(vectorBucketName=bucket, indexName="two", dataType="float32", dimension=4, distanceMetric="cosine")
    got = s3v.get_index(indexArn=index_arn)["index"]
    assert (got["indexName"], got["dimension"], got["distanceMetric"], got["dataType"]) == ("one", 3, "euclidean",
                                                                                            "float32")  # fmt: skip
    assert got["metadataConfiguration"] == {"nonFilterableMetadataKeys": ["text"]}
    first = s3v.list_indexes(vectorBucketName=bucket, maxResults=1)
    second = s3v.list_indexes(vectorBucketName=bucket, maxResults=1, nextToken=first["nextToken"])
    assert [i["indexName"] for i in first["indexes"] + second["indexes"]] == ["one", "two"]
    assert "nextToken" not in second
    assert [i["indexName"] for i in s3v.list_indexes(vectorBucketArn=arn, prefix="tw")["indexes"]] == ["two"]
    assert bucket in [b["vectorBucketName"] for b in s3v.list_vector_buckets(prefix="b-")["vectorBuckets"]]
    code, status, message = error_code(s3v.delete_vector_bucket, vectorBucketName=bucket)
    assert (code, status) == ("ConflictException", 409) and "delete its indexes" in message
    s3v.delete_index(indexArn=index_arn)
    s3v.delete_index(vectorBucketName=bucket, indexName="two")
    s3v.delete_vector_bucket(vectorBucketArn=arn)
    assert error_code(s3v.get_vector_bucket, vectorBucketName=bucket)[:2] == ("NotFoundException", 404)


def test_errors_carry_the_s3vectors_codes(s3v):
    bucket, index = new_index(s3v)
    assert error_code(s3v.create_vector_bucket, vectorBucketName=bucket)[:2] == ("ConflictException", 409)
    assert error_code(s3v.create_index, vectorBucketName=bucket, indexName=index, dataType="float32", dimension=2,
                      distanceMetric="cosine")[:2] == ("ConflictException", 409)  # fmt: skip
    code, status, message = error_code(s3v.get_index, vectorBucketName=bucket, indexName="absent")
    assert (code, status) == ("NotFoundException", 404) and "absent" in message
    assert error_code(s3v.query_vectors, vectorBucketName=bucket, indexName="absent", topK=1,
                      queryVector={"float32": [1.0] * DIM})[0] == "NotFoundException"  # fmt: skip
    code, status, message = error_code(s3v.put_vectors, vectorBucketName=bucket, indexName=index,
                                       vectors=[{"key": "a", "data": {"float32": [1.0] * (DIM + 1)}}])  # fmt: skip
    assert (code, status) == ("ValidationException", 400) and f"holds {DIM}-dimensional" in message
    code, _, message = error_code(s3v.put_vectors, vectorBucketName=bucket, indexName=index,
                                  vectors=[{"key": "z", "data": {"float32": [0.0] * DIM}}])  # fmt: skip
    assert code == "ValidationException" and "all zeros" in message
    code, _, message = error_code(s3v.put_vectors, vectorBucketName=bucket, indexName=index,
                                  vectors=[{"key": "m", "data": {"float32": [1.0] * DIM},
                                            "metadata": {"big": "x" * 3000}}])  # fmt: skip
    assert code == "ValidationException" and "nonFilterableMetadataKeys" in message
    code, _, message = error_code(s3v.query_vectors, vectorBucketName=bucket, indexName=index, topK=101,
                                  queryVector={"float32": [1.0] * DIM})  # fmt: skip
    assert code == "ValidationException" and "less or equal to 100" in message
    code, _, message = error_code(s3v.get_index, indexArn=f"arn:aws:s3vectors:eu-west-1:123456789012:bucket/{bucket}"
                                  f"/index/{index}")  # fmt: skip
    assert code == "NotFoundException" and "us-east-1" in message


def test_wrongly_signed_requests_are_refused(server):
    other = server.client("s3vectors", secret="wrong-secret")
    assert error_code(other.list_vector_buckets)[0] == "InvalidSignatureException"  # the access layer's answer


@pytest.mark.parametrize("engine", ["embedded", "pgvector"])
def test_vectors_survive_a_restart(tmp_path, models_dir, request, engine):
    pg = {"pg_dsn": request.getfixturevalue("postgres_dsn")} if engine == "pgvector" else {}
    rows = data(6)
    with start_server(tmp_path, models_dir, "tiny", **pg) as live:
        s3v = live.client("s3vectors")
        bucket, index = new_index(s3v, "euclidean")
        put(s3v, bucket, index, rows, [{"n": i} for i in range(6)])
    with start_server(tmp_path, models_dir, "tiny", **pg) as live:
        s3v = live.client("s3vectors")
        reply = s3v.query_vectors(vectorBucketName=bucket, indexName=index, topK=1, returnMetadata=True,
                                  queryVector={"float32": rows[5].tolist()})  # fmt: skip
        assert reply["vectors"] == [{"key": "k005", "metadata": {"n": 5}}]


def test_indexes_live_on_the_servers_engine(server, s3v):
    bucket, index = new_index(s3v)
    engine = server.server.config.app.state.outcrop.vector_buckets.registry.index(bucket, index).engine
    assert engine == ("pgvector" if server.settings.pg_dsn else "embedded")
