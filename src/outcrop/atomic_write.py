"""Write a file so that no reader, in this process or another, ever sees half of it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(
    path: Path,
    write: Callable[[Path], object],
    *,
    durable: bool = False,
    mode: int | None = None,
    temp_dir: Path | None = None,
) -> None:
    """Call `write` on a temporary file beside `path` (or in `temp_dir`), then rename it over `path`.

    The temporary name keeps `path`'s suffix (numpy and ONNX writers key on it). `durable` fsyncs the file before
    the rename and the folder after it, for records that must survive a power cut; `mode` sets permissions
    (mkstemp's default is 0600). `temp_dir` must be on the same filesystem as `path`, or the rename is not atomic.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=temp_dir or path.parent)
    os.close(handle)
    temp = Path(name)
    try:
        write(temp)
        if durable:
            _fsync(temp)
        if mode is not None:
            temp.chmod(mode)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    if durable:  # the rename itself survives a power cut only once its folder is synced
        _fsync(path.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
