"""write_atomically: the new content appears whole, or the old file stays and nothing else is left behind."""

from __future__ import annotations

import pytest

from outcrop.atomic_write import write_atomically


def test_replaces_the_file_and_keeps_the_suffix(tmp_path):
    target = tmp_path / "basis.npy"
    target.write_bytes(b"old")
    seen = []
    write_atomically(target, lambda temp: (seen.append(temp.suffix), temp.write_bytes(b"new")), mode=0o644)
    assert target.read_bytes() == b"new"
    assert seen == [".npy"]
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["basis.npy"]


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "asset.png"
    target.write_bytes(b"old")

    def half_then_fail(temp):
        temp.write_bytes(b"ne")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, half_then_fail, durable=True)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["asset.png"]
