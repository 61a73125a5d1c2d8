"""Install weights: try each source in order, write into a temporary folder, then move it into place.

A crash mid-download leaves only a `.partial-*` folder, never a half-installed model that looks installed.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from outcrop.catalog.catalog import INSTALLED_MARKER, Catalog
from outcrop.catalog.model import WeightsSpec
from outcrop.catalog.sources.base import FetchError, LogFn, fetcher


class PullError(Exception):
    """No source could deliver the weights; the message lists what each source said."""


def resolve_weights_name(catalog: Catalog, name: str) -> str:
    """Accept a weights name or a model id (whose bound weights are pulled)."""
    if name in catalog.weights:
        return name
    entry = catalog.models.get(name)
    if entry is not None and entry.bindings:
        names = {catalog.binding(entry, kind).weights for kind in entry.bindings}
        if len(names) == 1:
            return names.pop()
        raise PullError(f"{name} uses several weights ({', '.join(sorted(names))}); pull them by name.")
    known = ", ".join(sorted(catalog.weights))
    raise PullError(f"unknown weights or model '{name}'; known weights: {known}")


def pull(catalog: Catalog, name: str, log: LogFn, *, force: bool = False) -> Path | None:
    """Install `name` under the catalog's models dir; returns its folder (None for built-in weights)."""
    spec = catalog.weights[name]
    if spec.builtin:
        log(f"{name} is built in code; nothing to download.")
        return None
    target = catalog.models_dir / name
    if catalog.installed(name) and not force:
        log(f"{name} is already installed at {target}")
        return target
    catalog.models_dir.mkdir(parents=True, exist_ok=True)
    failures = [_try_source(spec, index, target, log) for index in range(len(spec.sources))]
    for failure in failures:
        if failure is None:
            return target
    raise PullError(f"could not install {name}: " + "; ".join(f for f in failures if f))


def _try_source(spec: WeightsSpec, index: int, target: Path, log: LogFn) -> str | None:
    """Returns None on success (or if an earlier source already succeeded), else the failure text."""
    if target.exists() and (target / INSTALLED_MARKER).exists():
        return None
    source = spec.sources[index]
    log(f"fetching {spec.name} from {source.kind} {dict(source.params)}")
    partial = Path(tempfile.mkdtemp(prefix=f".partial-{spec.name}-", dir=target.parent))
    try:
        fetcher(source.kind)(source.params, partial, log)
        _check_files(spec, partial)
        _write_marker(partial, spec, index)
        partial.chmod(0o755)  # mkdtemp makes it private; installed weights are readable by the server's user
        if target.exists():
            shutil.rmtree(target)
        partial.rename(target)
    except FetchError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        return f"{source.kind}: {exc}"
    log(f"installed {spec.name} at {target}")
    return None


def _check_files(spec: WeightsSpec, folder: Path) -> None:
    missing = [f for f in spec.files if not (folder / f).exists()]
    if missing:
        raise FetchError(f"source delivered no {', '.join(missing)}")


def _write_marker(folder: Path, spec: WeightsSpec, index: int) -> None:
    source = spec.sources[index]
    record = {
        "name": spec.name,
        "source": {"kind": source.kind, **source.params},
        "installed_at": time.time(),
    }
    (folder / INSTALLED_MARKER).write_text(json.dumps(record, indent=2), "utf-8")
