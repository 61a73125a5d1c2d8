"""The human review gate: state machine, release only after approval, append-only audit, native API and CLI."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from outcrop.api.errors import on_outcrop_error, on_request_validation_error
from outcrop.api.native import review as review_api
from outcrop.cli.review import review
from outcrop.errors import ConflictError, OutcropError, ResourceNotFoundError, ValidationError
from outcrop.safety.review import ReviewStatus, ReviewStore
from support.live_server import free_port

PNG = b"\x89PNG\r\n\x1a\n fake image bytes"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    held = ReviewStore(tmp_path / "review", release_to=str(tmp_path / "released"))
    yield held
    held.close()


def _record(store: ReviewStore, data: bytes = PNG) -> str:
    asset = store.record(data, "image/png", "amazon.nova-canvas-v1:0", {"seed": 1}, "TEXT_IMAGE")
    assert asset is not None
    return asset.id


def test_recorded_assets_are_pending_and_content_addressed(store: ReviewStore, tmp_path: Path) -> None:
    first, second = _record(store), _record(store)
    assert [a.status for a in store.list()] == [ReviewStatus.PENDING, ReviewStatus.PENDING]
    assert store.content(first) == PNG
    assert store.get(first).sha256 == store.get(second).sha256
    assert len([p for p in (tmp_path / "review" / "assets").rglob("*") if p.is_file()]) == 1


def test_state_machine(store: ReviewStore) -> None:
    approved, rejected = _record(store), _record(store)
    assert store.approve(approved, "ana", "fine").status is ReviewStatus.APPROVED
    assert store.reject(rejected, "bo", "shows a logo").status is ReviewStatus.REJECTED
    for decide in (lambda i: store.approve(i, "cy"), lambda i: store.reject(i, "cy", "late")):
        for asset_id in (approved, rejected):
            with pytest.raises(ConflictError, match="only pending"):
                decide(asset_id)
    assert [a.id for a in store.list("approved")] == [approved]
    assert [a.id for a in store.list(ReviewStatus.REJECTED)] == [rejected]
    assert store.get(rejected).note == "shows a logo"


def test_bad_requests(store: ReviewStore) -> None:
    asset_id = _record(store)
    with pytest.raises(ValidationError, match="reason"):
        store.reject(asset_id, "ana", "  ")
    with pytest.raises(ValidationError, match="reviewer"):
        store.approve(asset_id, "")
    with pytest.raises(ResourceNotFoundError):
        store.approve("asset-missing", "ana")
    with pytest.raises(ValidationError, match="status"):
        store.list("maybe")
    assert store.get(asset_id).status is ReviewStatus.PENDING


def test_only_approved_assets_are_released(store: ReviewStore, tmp_path: Path) -> None:
    released = tmp_path / "released"
    pending, rejected, approved = _record(store), _record(store, b"bad"), _record(store, b"good")
    store.reject(rejected, "ana", "unsafe")
    for asset_id in (pending, rejected):
        with pytest.raises(ConflictError, match="only approved"):
            store.release(asset_id)
    assert not released.exists() or not any(released.iterdir())
    store.approve(approved, "ana")
    location = store.release(approved)
    assert Path(location) == released / f"{approved}.png"
    assert Path(location).read_bytes() == b"good"
    assert store.get(approved).released_to == location
    assert sorted(p.name for p in released.iterdir()) == [f"{approved}.png"]  # no temp files left behind


def test_release_to_s3_uses_the_client_factory(tmp_path: Path) -> None:
    puts: list[dict[str, object]] = []
    client = SimpleNamespace(put_object=lambda **kwargs: puts.append(kwargs))
    store = ReviewStore(tmp_path / "r", release_to="s3://bucket/out/", s3_client=lambda: client)
    asset_id = _record(store)
    store.approve(asset_id, "ana")
    assert store.release(asset_id) == f"s3://bucket/out/{asset_id}.png"
    assert puts == [{"Bucket": "bucket", "Key": f"out/{asset_id}.png", "Body": PNG, "ContentType": "image/png"}]
    store.close()


def test_disabled_gate_records_nothing(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "r", enabled=False)
    assert store.record(PNG, "image/png", "m", {}, "TEXT_IMAGE") is None
    assert store.list() == []
    assert store.audit.entries() == []
    store.close()


def test_audit_log_is_append_only_and_ordered(store: ReviewStore) -> None:
    first, second = _record(store), _record(store)
    snapshots = [store.audit.path.read_bytes()]
    store.approve(first, "ana", "ok")
    snapshots.append(store.audit.path.read_bytes())
    store.reject(second, "bo", "no")
    snapshots.append(store.audit.path.read_bytes())
    store.release(first)
    snapshots.append(store.audit.path.read_bytes())
    for earlier, later in itertools.pairwise(snapshots):
        assert later.startswith(earlier) and len(later) > len(earlier)
    entries = store.audit.entries()
    assert [(e.action, e.asset_id, e.actor) for e in entries] == [
        ("record", first, "outcrop"),
        ("record", second, "outcrop"),
        ("approve", first, "ana"),
        ("reject", second, "bo"),
        ("release", first, "outcrop"),
    ]
    assert entries[3].details == {"reason": "no"}
    assert [e.time for e in entries] == sorted(e.time for e in entries)
    assert [e.action for e in store.audit.entries(second)] == ["record", "reject"]


def test_refused_actions_are_not_audited(store: ReviewStore) -> None:
    asset_id = _record(store)
    store.reject(asset_id, "ana", "no")
    with pytest.raises(OutcropError):
        store.release(asset_id)
    with pytest.raises(OutcropError):
        store.approve(asset_id, "bo")
    assert [e.action for e in store.audit.entries()] == ["record", "reject"]


@pytest.fixture
def server(store: ReviewStore) -> Iterator[str]:
    """The review router alone in a tiny app, served by uvicorn on 127.0.0.1 like the real server."""
    import threading
    import time

    import uvicorn

    app = FastAPI()
    app.state.outcrop = SimpleNamespace(review=store)
    app.add_exception_handler(OutcropError, on_outcrop_error)
    app.add_exception_handler(RequestValidationError, on_request_validation_error)
    app.include_router(review_api.router)
    port = free_port()
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert thread.is_alive() and time.monotonic() < deadline, "review test server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=30)


def _cli(url: str, *args: str) -> tuple[int, str]:
    # The group is mounted under a root that has --url, as cli/main.py does for the real `outcrop` command.
    import click

    @click.group()
    @click.option("--url", default=None)
    def root(url: str | None) -> None:
        pass

    root.add_command(review)
    result = CliRunner().invoke(root, ["--url", url, "review", *args])
    return result.exit_code, result.output


def test_native_api_and_cli(server: str, store: ReviewStore, tmp_path: Path) -> None:
    import httpx

    keep, drop = _record(store, b"keep"), _record(store, b"drop")
    code, out = _cli(server, "list")
    assert code == 0
    assert keep in out and "pending" in out
    code, out = _cli(server, "list", "--status", "pending", "--json")
    assert [a["id"] for a in json.loads(out)] == [keep, drop]

    assert _cli(server, "approve", keep, "--reviewer", "ana") == (0, f"{keep} approved\n")
    assert _cli(server, "reject", drop, "--reviewer", "bo", "--reason", "off brand") == (0, f"{drop} rejected\n")
    code, out = _cli(server, "reject", keep, "--reason", "changed my mind")
    assert code == 1
    assert "ConflictException" in out

    target = tmp_path / "shown.png"
    code, out = _cli(server, "show", keep, "--out", str(target))
    assert code == 0 and json.loads(out)["status"] == "approved"
    assert target.read_bytes() == b"keep"

    assert httpx.post(f"{server}/v1/review/assets/{drop}/release").status_code == 400
    code, out = _cli(server, "release", keep)
    assert code == 0 and Path(out.strip()).read_bytes() == b"keep"

    assert httpx.get(f"{server}/v1/review/assets/nope").status_code == 404
    bad = httpx.post(f"{server}/v1/review/assets/{keep}/reject", json={"reviewer": "x"})
    assert bad.status_code == 400 and bad.json()["__type"] == "ValidationException"
    content = httpx.get(f"{server}/v1/review/assets/{keep}/content")
    assert content.content == b"keep" and content.headers["content-type"] == "image/png"
    audit = httpx.get(f"{server}/v1/review/audit").json()["entries"]
    assert [(e["action"], e["asset_id"]) for e in audit] == [
        ("record", keep),
        ("record", drop),
        ("approve", keep),
        ("reject", drop),
        ("release", keep),
    ]
