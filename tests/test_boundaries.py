"""Job outputs and release locations stay inside the data boundaries: allowed buckets, source roots, and the
server's own artifacts folder."""

from __future__ import annotations

import pytest

from outcrop.boundaries import DataBoundaries
from outcrop.errors import AccessDeniedError
from outcrop.safety.review import ReviewStore


def test_outputs_go_only_to_allowed_places(tmp_path):
    own, root = tmp_path / "artifacts", tmp_path / "shared"
    bounds = DataBoundaries.build([root], ["team-bucket/out"], locked=True, own=[own])
    bounds.output("s3://team-bucket/out/run1")
    bounds.output((own / "job").as_uri())
    bounds.output(str(root / "videos"))
    for outside in ("s3://other-bucket/x", "s3://team-bucket/outside", "file:///etc/cron.d", str(root / ".." / "x")):
        with pytest.raises(AccessDeniedError, match="OUTCROP_"):
            bounds.output(outside)


def test_an_open_server_writes_anywhere(tmp_path):
    DataBoundaries.build(None, None, locked=False).output("file:///tmp/anywhere")


def test_release_location_is_checked_at_release(tmp_path):
    store = ReviewStore(tmp_path / "review", release_to="/etc/outcrop-release",
                        boundaries=DataBoundaries.build(None, None, locked=True))  # fmt: skip
    asset = store.record(b"\x89PNG", "image/png", "m", {}, "image")
    assert asset is not None
    store.approve(asset.id, "ana")
    with pytest.raises(AccessDeniedError, match="OUTCROP_SOURCE_ROOTS"):
        store.release(asset.id)
