"""Starlette's own refusals (no route, wrong method, unreadable JSON) arrive typed, like every wire error."""

from __future__ import annotations

import httpx

from support.live_server import LiveServer


def test_unknown_route_wrong_method_and_bad_json_are_typed(tiny_server: LiveServer) -> None:
    with httpx.Client(base_url=tiny_server.url) as http:
        missing = http.get("/v1/no-such-route")
        wrong = http.delete("/health")
        unreadable = http.post("/v1/embeddings", content=b"{not json", headers={"content-type": "application/json"})
    assert (missing.status_code, missing.json()["__type"]) == (404, "UnknownOperationException")
    assert missing.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert (wrong.status_code, wrong.json()["__type"], wrong.headers["allow"]) == (
        405,
        "UnknownOperationException",
        "GET",
    )
    assert "send GET" in wrong.json()["message"]
    assert (unreadable.status_code, unreadable.json()["__type"]) == (400, "ValidationException")
