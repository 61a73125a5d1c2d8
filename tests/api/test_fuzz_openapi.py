"""schemathesis over the live server's /openapi.json: requests that break the schema (every operation), and
requests that follow it (operations that do no model work and change no files outside the server's home), must
answer typed and below 500. Derandomized and bounded like tests/api/test_fuzz_wire.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation

from support.live_server import LiveServer

# Following the schema, these run diffusion, video or chat models, pull weights, or write released assets.
Operation = APIOperation[Any, Any, Any, Any]
Case = schemathesis.Case[Operation]
_COSTLY = ("/v1/images/", "/v1/video/", "/v1/chat", "/v1/models/", "/ingestions", "/approve", "/release", "/reject")


def _operations(server: LiveServer) -> list[Operation]:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    return [
        result.ok() for result in schemathesis.openapi.from_dict(spec).get_all_operations() if isinstance(result, Ok)
    ]


def _is_cheap(operation: Operation) -> bool:
    return operation.method.upper() != "DELETE" and not any(part in operation.path for part in _COSTLY)


@pytest.fixture(scope="module")
def session(tiny_server: LiveServer) -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


def _cases(operations: list[Operation], mode: GenerationMode) -> st.SearchStrategy[Case]:
    return st.one_of([operation.as_strategy(generation_mode=mode) for operation in operations])


def _check(case: Case, server: LiveServer, session: requests.Session) -> None:
    response = case.call(base_url=server.url, session=session, timeout=60)
    where = f"{case.method} {case.formatted_path}: {response.text[:2000]}"
    assert response.status_code < 500, where
    if response.status_code >= 400:
        assert response.json()["__type"], where


_FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("mode", [GenerationMode.NEGATIVE, GenerationMode.POSITIVE], ids=["negative", "positive"])
def test_openapi_operations_never_answer_5xx(
    tiny_server: LiveServer, session: requests.Session, mode: GenerationMode
) -> None:
    operations = _operations(tiny_server)
    if mode is GenerationMode.POSITIVE:
        operations = [operation for operation in operations if _is_cheap(operation)]
    assert len(operations) > 10  # the schema was read, and the filter left most of it

    @_FUZZ
    @given(case=_cases(operations, mode))
    def check(case: Case) -> None:
        _check(case, tiny_server, session)

    check()
