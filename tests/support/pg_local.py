"""A real PostgreSQL 16 + pgvector server on 127.0.0.1, from the binaries that PyPI `pgserver` bundles.

    with local_postgres() as dsn:
        psycopg.connect(dsn)

Used by the index contract tests and `bench/bench_retrieve.py --pgvector`. The package is located without being
imported (importing it warns about XDG_RUNTIME_DIR, and pytest turns warnings into errors); its own helper tries
to create a user, so initdb and pg_ctl are called directly. PostgreSQL refuses to run as root, so as root the
server runs as `nobody` on a copy of the binaries (site-packages usually sits under /root, which other users
cannot enter) and a data folder that `nobody` owns.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_USER = "nobody"


class PostgresUnavailableError(RuntimeError):
    """pgserver is not installed, or the server did not start; the message says what to do."""


def pgserver_binaries() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        raise PostgresUnavailableError("PyPI `pgserver` is not installed: pip install -e '.[dev]' (or pgserver)")
    bin_dir = Path(spec.origin).parent / "pginstall" / "bin"
    if not (bin_dir / "pg_ctl").is_file():
        raise PostgresUnavailableError(f"pgserver is installed but {bin_dir} has no pg_ctl")
    return bin_dir


@contextmanager
def local_postgres(*, fsync: bool = False) -> Iterator[str]:
    """Start a server in a new folder under the system temp dir, yield its DSN; stop it and remove the folder.

    The folder is made here, not under pytest's tmp_path: that one sits in a root-only folder `nobody` can't enter.
    fsync=False suits tests (nothing to keep); benchmarks pass fsync=True to measure durable writes.
    """
    bin_dir, run_as = pgserver_binaries(), _server_user()
    root = Path(tempfile.mkdtemp(prefix="outcrop-pg-"))
    try:
        if run_as is not None:
            bin_dir = _copy_install(bin_dir.parent, root / "pginstall")
            os.chown(root, run_as.pw_uid, run_as.pw_gid)
        data, port = root / "data", _free_port()
        _run(run_as, bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync={'on' if fsync else 'off'}"
        _run(run_as, bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", root / "server.log", "-w", "start")
        try:
            yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
        finally:
            _run(run_as, bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresUnavailableError(f"running as root, and there is no '{SERVER_USER}' user to run as") from None


def _copy_install(install: Path, target: Path) -> Path:
    """Copy pgserver/pginstall and the wheel's bundled libraries, keeping their layout (the binaries' RPATH is
    $ORIGIN/../../../pgserver.libs)."""
    site = install.parent.parent
    if (site / "pgserver.libs").is_dir():
        shutil.copytree(site / "pgserver.libs", target / "pgserver.libs", symlinks=True)
    for part in ("bin", "lib", "share"):
        shutil.copytree(install / part, target / "pgserver" / "pginstall" / part, symlinks=True)
    return target / "pgserver" / "pginstall" / "bin"


def _run(run_as: pwd.struct_passwd | None, *command: object) -> None:
    args = [str(part) for part in command]
    if run_as is not None:
        args = ["runuser", "-u", run_as.pw_name, "--", *args]
    # output goes to a file, not a pipe: the server pg_ctl starts could inherit a pipe and hold it open
    with tempfile.TemporaryFile("w+") as output:
        done = subprocess.run(args, stdout=output, stderr=subprocess.STDOUT, timeout=120, check=False)
        if done.returncode != 0:
            output.seek(0)
            raise PostgresUnavailableError(f"{' '.join(args)} failed ({done.returncode}):\n{output.read()}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
