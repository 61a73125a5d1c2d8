"""Fetch an ONNX model from an IMG.LY data package on npm (`@imgly/background-removal-data`).

The package stores each model as 4 MiB chunks named by their SHA-256, listed in order in
`dist/resources.json`. We `npm pack` the package (the npm client brings the registry, proxy and cache settings
the user already has), extract it, check every chunk and join them into one file.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from outcrop.catalog.sources.base import FetchError, LogFn
from outcrop.catalog.sources.progress import metered

# An npm package name, scoped or not; anything else (a path, a URL, an option) is refused so that the catalog
# cannot make `npm pack` read from somewhere other than the registry.
_PACKAGE_NAME = re.compile(r"^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NPM_TIMEOUT_S = 900
_COPY_BLOCK = 1 << 20


def fetch(params: Mapping[str, Any], dest: Path, log: LogFn) -> None:
    """Write `dest/<file>` (default `model.onnx`) assembled from `params['model']` of the npm package."""
    package, version = _require(params, "package"), _require(params, "version")
    model, name = _require(params, "model"), _file_name(str(params.get("file", "model.onnx")))
    with tempfile.TemporaryDirectory(prefix="outcrop-npm-") as tmp:
        tarball = npm_pack(package, version, Path(tmp), log)
        assemble(tarball, model, dest / name, log)


def _require(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise FetchError(f"npm-imgly source needs a non-empty string parameter '{key}', got {value!r}.")
    return value


def _file_name(name: str) -> str:
    if not name or Path(name).name != name or name in {".", ".."}:
        raise FetchError(f"npm-imgly 'file' must be a plain file name, got {name!r}.")
    return name


def npm_pack(package: str, version: str, workdir: Path, log: LogFn) -> Path:
    """Run `npm pack PACKAGE@VERSION` in `workdir` and return the tarball it wrote."""
    if not _PACKAGE_NAME.match(package) or not _VERSION.match(version):
        raise FetchError(f"'{package}@{version}' is not an npm package name and exact version.")
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm is not installed or not on PATH; install Node.js (which ships npm) and retry.")
    log(f"npm pack {package}@{version}")
    command = [npm, "pack", "--ignore-scripts", f"{package}@{version}"]
    # npm reports no bytes while it downloads; the bar shows the time spent, then the tarball's size. npm keeps
    # what it downloaded in its own cache, so a pull that fails later packs again without downloading.
    with metered(log, f"{package}@{version}", None) as meter:
        try:
            done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=_NPM_TIMEOUT_S,
                                  check=False)  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise FetchError(f"npm pack {package}@{version} could not run: {exc}") from exc
        packed = sum(path.stat().st_size for path in workdir.glob("*.tgz"))
        meter.update(packed, packed or None)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-800:]
        raise FetchError(f"npm pack {package}@{version} failed (exit {done.returncode}): {tail}")
    tarballs = sorted(workdir.glob("*.tgz"))
    if len(tarballs) != 1:
        raise FetchError(f"npm pack {package}@{version} left {len(tarballs)} tarballs, expected one.")
    return tarballs[0]


def assemble(tarball: Path, model: str, target: Path, log: LogFn) -> None:
    """Extract `tarball` and join the chunks of `model` into `target`, all or nothing."""
    with tempfile.TemporaryDirectory(prefix="outcrop-npm-x-") as tmp:
        dist = _extract(tarball, Path(tmp)) / "package" / "dist"
        entry = _model_entry(dist, model)
        partial = target.with_name(target.name + ".partial")
        try:
            size = _join_chunks(dist, entry, partial, log)
            _check_size(entry, size, model)
            partial.replace(target)
        except OSError as exc:
            raise FetchError(f"could not write {target}: {exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
    log(f"assembled {model} ({size:,} bytes) into {target.name}")


def _extract(tarball: Path, into: Path) -> Path:
    # The "data" filter refuses absolute paths, `..`, links leaving `into` and device files.
    try:
        with tarfile.open(tarball, "r:*") as archive:
            archive.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise FetchError(f"could not extract {tarball.name}: {exc}") from exc
    return into


def _model_entry(dist: Path, model: str) -> Mapping[str, Any]:
    try:
        resources = json.loads((dist / "resources.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FetchError(f"the package has no readable dist/resources.json: {exc}") from exc
    if not isinstance(resources, dict):
        raise FetchError("the package's dist/resources.json is not a JSON object.")
    entry = resources.get(model)
    if not isinstance(entry, dict) or not isinstance(entry.get("chunks"), list) or not entry["chunks"]:
        known = ", ".join(key for key in resources if key.startswith("/models/")) or "none"
        raise FetchError(f"resources.json lists no chunks for {model!r}; models in the package: {known}.")
    return entry


def _join_chunks(dist: Path, entry: Mapping[str, Any], out: Path, log: LogFn) -> int:
    written = 0
    size = entry.get("size")
    with (
        out.open("wb") as sink,
        metered(log, out.name.removesuffix(".partial"), size if isinstance(size, int) else None) as meter,
    ):
        for chunk in entry["chunks"]:
            written += _append_chunk(dist, chunk, written, sink)
            meter.update(written)
    return written


def _append_chunk(dist: Path, chunk: Any, start: int, sink: BinaryIO) -> int:
    name = chunk.get("hash") if isinstance(chunk, dict) else None
    # Chunk names are their SHA-256; insisting on that shape also keeps the name from pointing outside `dist`.
    if not isinstance(name, str) or not _SHA256.match(name):
        raise FetchError(f"resources.json names a chunk {name!r}, expected a 64-digit SHA-256.")
    digest, length = hashlib.sha256(), 0
    try:
        with (dist / name).open("rb") as source:
            while block := source.read(_COPY_BLOCK):
                digest.update(block)
                sink.write(block)
                length += len(block)
    except FileNotFoundError as exc:
        raise FetchError(f"chunk {name} listed in resources.json is missing from the package.") from exc
    if digest.hexdigest() != name:
        raise FetchError(f"chunk {name} is corrupt: its SHA-256 is {digest.hexdigest()}.")
    _check_offsets(chunk, start, start + length, name)
    return length


def _check_offsets(chunk: Mapping[str, Any], start: int, end: int, name: str) -> None:
    # Offsets are optional in the format; when present they catch a reordered or truncated chunk list.
    offsets = chunk.get("offsets")
    if offsets is not None and list(offsets) != [start, end]:
        raise FetchError(f"chunk {name} covers bytes {start}..{end} but resources.json says {offsets}.")


def _check_size(entry: Mapping[str, Any], size: int, model: str) -> None:
    expected = entry.get("size")
    if expected is not None and expected != size:
        raise FetchError(f"{model} assembled to {size:,} bytes but resources.json records {expected!r}.")
