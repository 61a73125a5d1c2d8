"""VectorBuckets without HTTP: filter semantics on encoded metadata, metadata limits, Euclidean re-encoding,
persistence across reopen, pgvector's dimension bound."""

from __future__ import annotations

import numpy as np
import pytest

from outcrop.errors import ValidationError
from outcrop.index.filters import matches
from outcrop.index.vector_buckets import NewVector, Segment, VectorBuckets
from outcrop.index.vector_filters import compile_filter, encode
from outcrop.index.vector_metadata import checked_metadata
from outcrop.index.vector_space import Metric


@pytest.mark.parametrize(
    ("where", "metadata", "expected"),
    [
        ({"n": 3}, {"n": 3.0}, True),  # 3 and 3.0 are one number
        ({"n": 1}, {"n": True}, False),  # true is not 1
        ({"tags": "a"}, {"tags": ["b", "a"]}, True),  # $eq matches a list element
        ({"tags": {"$ne": "a"}}, {"tags": ["b", "a"]}, False),
        ({"tags": {"$ne": "a"}}, {}, True),  # $ne matches a missing key
        ({"tags": {"$nin": ["a"]}}, {"tags": "c"}, True),
        ({"n": {"$gt": 1}}, {"n": [5]}, False),  # ranges compare single numbers only
        ({"n": {"$gt": 1}}, {"n": "5"}, False),
        ({"n": {"$exists": True}}, {"n": []}, True),
    ],
)
def test_filter_semantics(where, metadata, expected):
    assert matches(compile_filter(where), encode(metadata)) is expected


@pytest.mark.parametrize(
    ("metadata", "says"),
    [
        ([1], "JSON object"),
        ({"k": {"nested": 1}}, "must be a string"),
        ({"k": float("nan")}, "must be a string"),
        ({f"k{i}": i for i in range(51)}, "at most 50"),
        ({"k": "x" * 41_000}, "limit is 40,960 bytes"),
    ],
)
def test_metadata_limits(metadata, says):
    with pytest.raises(ValidationError, match=says):
        checked_metadata(metadata, ["k"], "metadata")


def test_non_filterable_keys_escape_the_filterable_limit():
    assert checked_metadata({"text": "x" * 30_000}, ["text"], "m") == {"text": "x" * 30_000}


@pytest.fixture
def buckets(tmp_path):
    service = VectorBuckets(tmp_path)
    service.create_bucket("bucket", {})
    yield service
    service.close()


def test_euclidean_rescale_keeps_exact_order_and_survives_reopen(tmp_path, buckets):
    buckets.create_index("bucket", "e", dimension=4, metric=Metric.EUCLIDEAN, non_filterable=[], encryption={})
    rng = np.random.default_rng(1)
    rows = rng.standard_normal((30, 4)).astype(np.float32) * np.logspace(-2, 3, 30, dtype=np.float32)[:, None]
    for start in range(0, 30, 5):  # growing norms: several rescales
        buckets.put("bucket", "e", [NewVector(f"v{i:02d}", rows[i]) for i in range(start, start + 5)])
    assert buckets.registry.index("bucket", "e").scale >= 2 * np.linalg.norm(rows[-1]) ** 2 / 2
    buckets.close()
    reopened = VectorBuckets(tmp_path)
    try:
        metric, found = reopened.query("bucket", "e", rows[10].tolist(), 30)
        expected = np.argsort(np.linalg.norm(rows.astype(np.float64) - rows[10], axis=1), kind="stable")
        assert metric is Metric.EUCLIDEAN
        assert [m.key for m in found] == [f"v{i:02d}" for i in expected]
        assert found[0].distance == 0.0
    finally:
        reopened.close()


def test_segments_partition_the_listing(buckets):
    buckets.create_index("bucket", "c", dimension=2, metric=Metric.COSINE, non_filterable=[], encryption={})
    buckets.put("bucket", "c", [NewVector(f"k{i}", [1.0, float(i)]) for i in range(40)])
    seen = []
    for index in range(4):
        page, after = buckets.list_vectors("bucket", "c", None, 1000, Segment(4, index))
        assert after is None and page
        seen += [v.key for v in page]
    assert sorted(seen) == sorted(f"k{i}" for i in range(40))


def test_pgvector_dimension_bound_is_a_validation_error(tmp_path):
    service = VectorBuckets(tmp_path, pg_dsn="postgresql://unused")
    service.create_bucket("bucket", {})
    try:
        with pytest.raises(ValidationError, match="at most 1998 dimensions"):
            service.create_index("bucket", "big", dimension=2000, metric=Metric.EUCLIDEAN, non_filterable=[],
                                 encryption={})  # fmt: skip
    finally:
        service.close()


@pytest.mark.parametrize(
    ("row", "says"),
    [
        (["1", 2.0], "numbers only"),
        ([True, 1.0], "numbers only"),
        ([1.0, 1e39], "beyond float32"),
        ([1.0], "holds 2-dimensional"),
    ],
)
def test_bad_vectors_are_validation_errors(buckets, row, says):
    buckets.create_index("bucket", "c", dimension=2, metric=Metric.COSINE, non_filterable=[], encryption={})
    with pytest.raises(ValidationError, match=says):
        buckets.put("bucket", "c", [NewVector("k", row)])
