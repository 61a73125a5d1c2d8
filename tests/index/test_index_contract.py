"""The VectorIndex contract, run against every implementation (see conftest.IMPLEMENTATIONS).

Rankings are checked against numpy brute force, filters against `filters.matches` on the same records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from outcrop.index.base import DimensionMismatchError, Record, VectorIndex
from outcrop.index.filters import matches, parse_filter

DIMENSION = 16  # what open_index opens by default
RNG_SEED = 20261123
OpenIndex = Callable[..., VectorIndex]


def vectors(n: int, seed: int = RNG_SEED, dimension: int = DIMENSION) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dimension)).astype(np.float32)


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def brute_force(data: np.ndarray, query: np.ndarray, k: int) -> tuple[list[int], np.ndarray]:
    scores = unit(data) @ unit(query)
    order = np.argsort(-scores, kind="stable")[:k]
    return order.tolist(), scores[order]


def record(i: int, vector: np.ndarray, **metadata: Any) -> Record:
    return Record(f"doc-{i}", vector, metadata)


# -- writes and reads ----------------------------------------------------------------------------------------------


def test_upsert_get_count(index: VectorIndex):
    data = vectors(5)
    assert index.count() == 0
    index.upsert([record(i, data[i], n=i) for i in range(5)])
    assert index.count() == 5
    got = index.get(["doc-3", "missing", "doc-0"])
    assert [r.id for r in got] == ["doc-3", "doc-0"]
    assert got[0].metadata == {"n": 3}
    np.testing.assert_allclose(got[0].vector, unit(data[3]), rtol=1e-6, atol=1e-6)  # stored normalised
    assert got[0].vector.dtype == np.float32


def test_upsert_replaces_by_id(index: VectorIndex):
    data = vectors(4)
    index.upsert([record(i, data[i], version=1) for i in range(3)])
    index.upsert([record(1, data[3], version=2)])
    assert index.count() == 3
    (replaced,) = index.get(["doc-1"])
    assert replaced.metadata == {"version": 2}
    np.testing.assert_allclose(replaced.vector, unit(data[3]), atol=1e-6)
    assert index.search(data[3], 1)[0].id == "doc-1"


def test_last_record_of_an_id_in_one_batch_wins(index: VectorIndex):
    data = vectors(2)
    index.upsert([record(0, data[0], v="first"), record(0, data[1], v="second")])
    assert index.count() == 1
    assert index.get(["doc-0"])[0].metadata == {"v": "second"}


def test_delete(index: VectorIndex):
    data = vectors(6)
    index.upsert([record(i, data[i]) for i in range(6)])
    index.delete(["doc-2", "doc-4", "never-there"])
    assert index.count() == 4
    assert index.get(["doc-2", "doc-4"]) == []
    found = {hit.id for hit in index.search(data[2], 10)}
    assert found == {"doc-0", "doc-1", "doc-3", "doc-5"}
    index.delete([])
    assert index.count() == 4


def test_keys_page_in_code_point_order(index: VectorIndex):
    ids = ["b", "a", "Z", "é", "ab", "☃", "a b"]
    data = vectors(len(ids))
    index.upsert([Record(id, data[i]) for i, id in enumerate(ids)])
    index.delete(["ab"])
    expected = sorted(set(ids) - {"ab"})
    pages, after = [], None
    while page := index.keys(after, 2):
        pages.append(page)
        after = page[-1]
    assert [id for page in pages for id in page] == expected
    assert all(len(page) == 2 for page in pages[:-1])


def test_delete_then_reinsert_same_id(index: VectorIndex):
    data = vectors(3)
    index.upsert([record(i, data[i]) for i in range(3)])
    index.delete(["doc-1"])
    index.upsert([record(1, data[0], back=True)])
    assert index.count() == 3
    assert index.get(["doc-1"])[0].metadata == {"back": True}
    top = index.search(data[0], 2)
    assert {hit.id for hit in top} == {"doc-0", "doc-1"}


@pytest.mark.parametrize(
    "metadata",
    [
        {"title": "Ünïcode ☃ and \"quotes\" and 'apostrophes'", "empty": ""},
        {"int": 7, "negative": -3, "float": 2.5, "zero": 0, "big": 12345678901234},
        {"yes": True, "no": False, "nothing": None},
        {"strings": ["a", "b"], "numbers": [1, 2.5], "mixed": ["x", 1, True], "none": []},
        {},
    ],
    ids=["strings", "numbers", "booleans-null", "lists", "empty"],
)
def test_metadata_round_trips(index: VectorIndex, metadata: dict[str, Any]):
    index.upsert([Record("doc", vectors(1)[0], metadata)])
    got = index.get(["doc"])[0].metadata
    assert got == metadata
    assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in metadata.items()}  # 7 stays int
    assert index.search(vectors(1)[0], 1)[0].metadata == metadata


# -- ranking ---------------------------------------------------------------------------------------------------------


def test_cosine_ranking_matches_brute_force(index: VectorIndex):
    data = vectors(300) * np.random.default_rng(1).uniform(0.1, 10, (300, 1)).astype(np.float32)  # scale-free
    index.upsert([record(i, data[i]) for i in range(300)])
    for query in vectors(10, seed=7):
        expected, scores = brute_force(data, query, 10)
        hits = index.search(query * 3.0, 10)
        assert [hit.id for hit in hits] == [f"doc-{i}" for i in expected]
        np.testing.assert_allclose([hit.score for hit in hits], scores, atol=1e-5)


def test_k_larger_than_count_returns_everything_in_order(index: VectorIndex):
    data = vectors(7)
    index.upsert([record(i, data[i]) for i in range(7)])
    expected, _ = brute_force(data, data[0], 7)
    hits = index.search(data[0], 50)
    assert [hit.id for hit in hits] == [f"doc-{i}" for i in expected]
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)


def test_search_takes_one_query(index: VectorIndex):
    index.upsert([record(0, vectors(1)[0])])
    assert index.search(vectors(1)[0][None, :], 1)[0].id == "doc-0"  # a 1 x d row is one query
    with pytest.raises(ValueError, match="one query"):
        index.search(vectors(2), 1)


def test_empty_index_and_k_zero(index: VectorIndex):
    assert index.search(vectors(1)[0], 5) == []
    index.upsert([record(0, vectors(1)[0])])
    assert index.search(vectors(1)[0], 0) == []


# -- filters ---------------------------------------------------------------------------------------------------------


def filter_records(n: int = 240) -> list[Record]:
    """Metadata that exercises every operator: missing keys, nulls, mixed types under one key, lists, unicode."""
    rng = np.random.default_rng(3)
    data = vectors(n, seed=11)
    genres = ["drama", "Drama", "sci-fi", "science", None]
    titles = ["The Wall", "the wall", "A Star", "Arrival ☃", "Solaris", ""]
    years: list[Any] = [1999, 2001, 2001.0, 2005, 2010.5, 2024, "2010", True, [2001]]
    tags: list[Any] = [["a"], ["a", "b"], ["b", "c"], ["news"], [], "news-today", ["A"], [1, 2], [[2]]]
    out = []
    for i in range(n):
        metadata: dict[str, Any] = {"i": i}
        for key, options in (("genre", genres), ("title", titles), ("year", years), ("tags", tags)):
            if rng.random() < 0.85:  # the rest lack the key
                metadata[key] = options[rng.integers(len(options))]
        if rng.random() < 0.5:
            metadata["score"] = float(rng.uniform(0, 3))
        if i % 7 == 0:
            metadata["odd key 'x\"; DROP TABLE t; --"] = "safe"
        out.append(Record(f"doc-{i}", data[i], metadata))
    return out


FILTERS: dict[str, dict[str, Any]] = {
    "equals-string": {"equals": {"key": "genre", "value": "drama"}},
    "equals-int-matches-float": {"equals": {"key": "year", "value": 2001}},
    "equals-float": {"equals": {"key": "year", "value": 2010.5}},
    "equals-list": {"equals": {"key": "tags", "value": ["a", "b"]}},
    "equals-null": {"equals": {"key": "genre", "value": None}},
    "equals-odd-key": {"equals": {"key": "odd key 'x\"; DROP TABLE t; --", "value": "safe"}},
    "notEquals-string": {"notEquals": {"key": "genre", "value": "drama"}},
    "notEquals-number": {"notEquals": {"key": "year", "value": 2001}},
    "greaterThan": {"greaterThan": {"key": "year", "value": 2001}},
    "greaterThanOrEquals": {"greaterThanOrEquals": {"key": "year", "value": 2001}},
    "lessThan": {"lessThan": {"key": "year", "value": 2010.5}},
    "lessThanOrEquals-float": {"lessThanOrEquals": {"key": "score", "value": 1.5}},
    "greaterThan-missing-key": {"greaterThan": {"key": "absent", "value": 0}},
    "in-strings": {"in": {"key": "genre", "value": ["drama", "sci-fi"]}},
    "in-mixed": {"in": {"key": "year", "value": [1999, "2010", 2010.5, [2001]]}},
    "in-empty": {"in": {"key": "genre", "value": []}},
    "notIn": {"notIn": {"key": "genre", "value": ["drama", "science"]}},
    "notIn-numbers": {"notIn": {"key": "year", "value": [2001, 2024]}},
    "notIn-empty": {"notIn": {"key": "genre", "value": []}},
    "startsWith": {"startsWith": {"key": "title", "value": "The"}},
    "startsWith-empty": {"startsWith": {"key": "title", "value": ""}},
    "startsWith-not-on-numbers": {"startsWith": {"key": "year", "value": "20"}},
    "listContains-string": {"listContains": {"key": "tags", "value": "a"}},
    "listContains-number": {"listContains": {"key": "tags", "value": 2}},
    "listContains-list": {"listContains": {"key": "tags", "value": [2]}},
    "listContains-not-substring": {"listContains": {"key": "tags", "value": "news"}},
    "stringContains-string": {"stringContains": {"key": "title", "value": "ar"}},
    "stringContains-unicode": {"stringContains": {"key": "title", "value": "☃"}},
    "stringContains-list-element": {"stringContains": {"key": "tags", "value": "news"}},
    "stringContains-case": {"stringContains": {"key": "genre", "value": "Dr"}},
    "andAll": {
        "andAll": [
            {"equals": {"key": "genre", "value": "drama"}},
            {"greaterThan": {"key": "year", "value": 2000}},
        ]
    },
    "orAll": {
        "orAll": [
            {"startsWith": {"key": "title", "value": "A"}},
            {"listContains": {"key": "tags", "value": "c"}},
        ]
    },
    "nested": {
        "orAll": [
            {
                "andAll": [
                    {"in": {"key": "genre", "value": ["drama", "Drama"]}},
                    {"notEquals": {"key": "year", "value": 2024}},
                ]
            },
            {
                "andAll": [
                    {"stringContains": {"key": "tags", "value": "b"}},
                    {"orAll": [{"lessThan": {"key": "score", "value": 1}}, {"notIn": {"key": "title", "value": [""]}}]},
                ]
            },
        ]
    },
}


@pytest.fixture
def filtered_index(index: VectorIndex) -> tuple[VectorIndex, list[Record]]:
    records = filter_records()
    index.upsert(records)
    return index, records


@pytest.mark.parametrize("name", list(FILTERS))
def test_filter_agrees_with_reference(filtered_index: tuple[VectorIndex, list[Record]], name: str):
    index, records = filtered_index
    where = parse_filter(FILTERS[name])
    expected = {r.id for r in records if matches(where, r.metadata)}
    query = vectors(1, seed=99)[0]
    found = index.search(query, len(records), where)
    assert {hit.id for hit in found} == expected
    assert [h.score for h in found] == sorted((h.score for h in found), reverse=True)
    assert all(matches(where, hit.metadata) for hit in found)


@pytest.mark.parametrize("name", ["equals-string", "notIn", "stringContains-list-element", "nested"])
def test_filtered_top_k_is_the_brute_force_top_k(filtered_index: tuple[VectorIndex, list[Record]], name: str):
    index, records = filtered_index
    where = parse_filter(FILTERS[name])
    keep = [r for r in records if matches(where, r.metadata)]
    query = vectors(1, seed=5)[0]
    order, _ = brute_force(np.stack([r.vector for r in keep]), query, 5)
    assert [hit.id for hit in index.search(query, 5, where)] == [keep[i].id for i in order]


def test_filtered_search_returns_k_when_k_match(index: VectorIndex):
    """12 matching records among 1,500, all far from the query: over-fetching alone would find none."""
    rng = np.random.default_rng(2)
    query = unit(vectors(1, seed=3)[0])
    near = unit(query + 0.05 * rng.standard_normal((1488, DIMENSION)).astype(np.float32))
    far = unit(-query + 0.3 * rng.standard_normal((12, DIMENSION)).astype(np.float32))
    index.upsert([record(i, near[i], rare=False) for i in range(1488)])
    index.upsert([record(1488 + i, far[i], rare=True) for i in range(12)])
    where = parse_filter({"equals": {"key": "rare", "value": True}})
    expected, _ = brute_force(far, query, 12)
    assert [hit.id for hit in index.search(query, 10, where)] == [f"doc-{1488 + i}" for i in expected[:10]]
    assert len(index.search(query, 20, where)) == 12


def test_booleans_are_not_numbers(index: VectorIndex):
    """JSON keeps true and 1 apart (Python's True == 1 must not leak into filters)."""
    data = vectors(2)
    index.upsert([record(0, data[0], flag=True), record(1, data[1], flag=1)])
    hits = index.search(data[0], 5, parse_filter({"equals": {"key": "flag", "value": 1}}))
    assert [hit.id for hit in hits] == ["doc-1"]
    hits = index.search(data[0], 5, parse_filter({"in": {"key": "flag", "value": [True]}}))
    assert [hit.id for hit in hits] == ["doc-0"]


def test_booleans_are_not_numbers_inside_lists(index: VectorIndex):
    data = vectors(2)
    index.upsert([record(0, data[0], flags=[True]), record(1, data[1], flags=[1])])
    hits = index.search(data[0], 5, parse_filter({"equals": {"key": "flags", "value": [1]}}))
    assert [hit.id for hit in hits] == ["doc-1"]


# -- dimensions and persistence --------------------------------------------------------------------------------------


def test_dimension_mismatch_is_refused(open_index: OpenIndex):
    index = open_index()
    index.upsert([record(0, vectors(1)[0])])
    with pytest.raises(DimensionMismatchError):
        index.upsert([record(1, vectors(1, dimension=DIMENSION + 1)[0])])
    with pytest.raises(DimensionMismatchError):
        index.upsert([record(2, vectors(1)[0]), record(3, vectors(1, dimension=8)[0])])
    with pytest.raises(DimensionMismatchError):
        index.search(vectors(1, dimension=DIMENSION - 1)[0], 3)
    assert index.count() == 1  # the refused batch left nothing behind
    index.close()
    with pytest.raises(DimensionMismatchError):
        open_index(DIMENSION * 2)


def test_persists_across_reopen(open_index: OpenIndex):
    data = vectors(120)
    index = open_index()
    index.upsert([record(i, data[i], n=i) for i in range(120)])
    index.delete(["doc-5"])
    index.upsert([record(7, data[8], n=-7)])
    query = vectors(1, seed=4)[0]
    before = index.search(query, 10)
    index.close()

    again = open_index()
    assert again.count() == 119
    assert again.get(["doc-5"]) == []
    assert again.get(["doc-7"])[0].metadata == {"n": -7}
    after = again.search(query, 10)
    assert [h.id for h in after] == [h.id for h in before]
    np.testing.assert_allclose([h.score for h in after], [h.score for h in before], atol=1e-6)
