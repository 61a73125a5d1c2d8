"""An artifact store in a local folder.

Every write goes to a temporary file under `<root>/.outcrop-tmp/` and is renamed into place, so a reader (or a
client listing the folder for the first `.mp4`) never sees a partial file. The temporary folder lives under the
root so the rename stays on one filesystem, where it is atomic.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from outcrop.atomic_write import write_atomically
from outcrop.errors import ResourceNotFoundError, ValidationError
from outcrop.storage.location import check_delete_prefix, check_key, check_prefix

TEMP_DIR = ".outcrop-tmp"
_CHUNK = 1024 * 1024
_FILE_MODE = 0o644


class LocalStore:
    def __init__(self, root: Path) -> None:
        self._root = root.expanduser().absolute()

    @property
    def root(self) -> str:
        return self._root.as_uri()

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    def check(self) -> None:
        try:
            temp_dir = self._temp_dir()
            with tempfile.TemporaryFile(dir=temp_dir):
                pass
        except OSError as error:
            raise ValidationError(
                f"Cannot write artifacts to the folder '{self._root}': {error.strerror or error}. "
                "Create it with write permission for the server's user, or choose another location."
            ) from error

    def put(self, key: str, source: bytes | Path, content_type: str) -> None:
        # A local file has no place for `content_type`; readers infer it from the key's suffix.
        if isinstance(source, Path):
            with source.open("rb") as file:
                self._write(key, lambda out: shutil.copyfileobj(file, out, _CHUNK))
        else:
            self._write(key, lambda out: out.write(source))

    def get(self, key: str) -> bytes:
        return self._existing(key).read_bytes()

    def download(self, key: str, dest: Path) -> None:
        source = self._existing(key)
        write_atomically(dest, lambda temp: shutil.copyfile(source, temp))

    def copy(self, src_key: str, dst_key: str) -> None:
        source = self._existing(src_key)
        with source.open("rb") as file:
            self._write(dst_key, lambda out: shutil.copyfileobj(file, out, _CHUNK))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> list[str]:
        check_prefix(prefix)
        # Walk only the deepest folder the prefix names, then match the rest as a string, as S3 does.
        folder = prefix.rpartition("/")[0]
        if folder.split("/", 1)[0] == TEMP_DIR:
            return []
        base = self._root / folder if folder else self._root
        keys: list[str] = []
        for directory, subdirs, files in os.walk(base):
            here = Path(directory)
            if here == self._root and TEMP_DIR in subdirs:
                subdirs.remove(TEMP_DIR)
            relative = here.relative_to(self._root).as_posix()
            keys.extend(name if relative == "." else f"{relative}/{name}" for name in files)
        return sorted(key for key in keys if key.startswith(prefix))

    def delete_prefix(self, prefix: str) -> int:
        check_delete_prefix(prefix)
        keys = self.list(prefix)
        for key in keys:
            path = self._path(key)
            path.unlink(missing_ok=True)
            self._prune_empty_parents(path.parent)
        return len(keys)

    def _path(self, key: str) -> Path:
        check_key(key)
        if key.split("/", 1)[0] == TEMP_DIR:
            raise ValidationError(f"The artifact key '{key}' is inside '{TEMP_DIR}/', which holds partial writes.")
        return self._root / key

    def _existing(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise ResourceNotFoundError(f"No artifact at '{self.uri(key)}'.")
        return path

    def _temp_dir(self) -> Path:
        temp_dir = self._root / TEMP_DIR
        temp_dir.mkdir(parents=True, exist_ok=True)
        return temp_dir

    def _write(self, key: str, fill: Callable[[BinaryIO], object]) -> None:
        """Fill a temporary file, make it durable, then rename it over `key`; on any failure only the temp goes."""

        def write(temp: Path) -> None:
            with temp.open("wb") as out:
                fill(out)

        # mkstemp creates 0600; artifacts are meant to be served and read by other users.
        write_atomically(self._path(key), write, durable=True, mode=_FILE_MODE, temp_dir=self._temp_dir())

    def _prune_empty_parents(self, folder: Path) -> None:
        # Remove folders the deleted keys leave empty, so the folder tree matches what S3 would list.
        while folder != self._root and folder.is_relative_to(self._root):
            try:
                folder.rmdir()
            except OSError:  # not empty (or already gone): stop here
                return
            folder = folder.parent
