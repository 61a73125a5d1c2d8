"""An artifact store in an S3-compatible bucket (AWS S3, MinIO, SeaweedFS, Ceph, ...).

S3 makes an object visible only once its upload (single or multipart) completes, which is what makes `put` and
`copy` atomic per key. boto3 is imported when a store is built, so `import outcrop` stays light.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from outcrop import loop_guard
from outcrop.errors import ResourceNotFoundError, ValidationError
from outcrop.storage.location import check_delete_prefix, check_key, check_prefix

MULTIPART_THRESHOLD = 8 * 1024 * 1024
_DELETE_BATCH = 1000  # the most keys one DeleteObjects request accepts
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
# HeadBucket has no body, so only the HTTP status comes back as the code; name what it means.
_NO_BUCKET = "the bucket does not exist"
_DENIED = "access denied: the credentials are wrong or may not use this bucket"
_HEAD_BUCKET_REASONS = {"404": _NO_BUCKET, "NoSuchBucket": _NO_BUCKET, "403": _DENIED, "AccessDenied": _DENIED}


@dataclass(frozen=True)
class S3Config:
    """How to reach the S3 service; None credentials mean boto3's usual chain (env, profile, instance role)."""

    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None


class S3Store:
    def __init__(self, bucket: str, prefix: str, config: S3Config, client: Any = None) -> None:
        from boto3.s3.transfer import TransferConfig

        check_prefix(prefix)
        if prefix and not prefix.endswith("/"):
            prefix += "/"  # a store's prefix is a folder: `jobs` must not also cover `jobs-old/`
        self._bucket = bucket
        self._prefix = prefix
        self._config = config
        self._client = client if client is not None else make_client(config)
        self._transfer = TransferConfig(multipart_threshold=MULTIPART_THRESHOLD)

    @property
    def root(self) -> str:
        return f"s3://{self._bucket}/{self._prefix.rstrip('/')}" if self._prefix else f"s3://{self._bucket}"

    def uri(self, key: str) -> str:
        return f"s3://{self._bucket}/{self._key(key)}"

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.head_bucket(Bucket=self._bucket)
        except ClientError as error:
            code = _code(error)
            raise self._unusable(_HEAD_BUCKET_REASONS.get(code, f"error {code}")) from error
        except BotoCoreError as error:  # connection refused, bad endpoint URL, no credentials, ...
            raise self._unusable(str(error)) from error

    def put(self, key: str, source: bytes | Path, content_type: str) -> None:
        full = self._key(key)
        if isinstance(source, Path):
            # upload_file switches to a multipart upload above the threshold and completes it only at the end.
            extra = {"ContentType": content_type}
            self._client.upload_file(str(source), self._bucket, full, ExtraArgs=extra, Config=self._transfer)
        else:
            self._client.put_object(Bucket=self._bucket, Key=full, Body=source, ContentType=content_type)

    def get(self, key: str) -> bytes:
        with self._not_found(key):
            response = self._client.get_object(Bucket=self._bucket, Key=self._key(key))
        body: bytes = response["Body"].read()
        return body

    def download(self, key: str, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        # download_file writes a temporary file beside `dest` and renames it, so `dest` is never partial.
        with self._not_found(key):
            self._client.download_file(self._bucket, self._key(key), str(dest), Config=self._transfer)

    def copy(self, src_key: str, dst_key: str) -> None:
        source = {"Bucket": self._bucket, "Key": self._key(src_key)}
        with self._not_found(src_key):
            head = self._client.head_object(**source)
        # A multipart copy starts a new upload that would otherwise get the default content type; pass the
        # source's along (a single CopyObject keeps it anyway).
        extra = {"ContentType": head["ContentType"]} if "ContentType" in head else {}
        self._client.copy(source, self._bucket, self._key(dst_key), ExtraArgs=extra, Config=self._transfer)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self._bucket, Key=self._key(key))
        except ClientError as error:
            if _code(error) in _MISSING:
                return False
            raise
        return True

    def list(self, prefix: str = "") -> list[str]:
        check_prefix(prefix)
        skip = len(self._prefix)
        return sorted(key[skip:] for key in self._full_keys(self._prefix + prefix))

    def delete_prefix(self, prefix: str) -> int:
        check_delete_prefix(prefix)
        keys = list(self._full_keys(self._prefix + prefix))
        for start in range(0, len(keys), _DELETE_BATCH):
            self._delete_batch(keys[start : start + _DELETE_BATCH])
        return len(keys)

    def _key(self, key: str) -> str:
        check_key(key)
        return self._prefix + key

    def _full_keys(self, prefix: str) -> Iterator[str]:
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def _delete_batch(self, keys: Sequence[str]) -> None:
        objects = [{"Key": key} for key in keys]
        response = self._client.delete_objects(Bucket=self._bucket, Delete={"Objects": objects, "Quiet": True})
        # DeleteObjects answers 200 even when some keys failed; the failures are listed in the body.
        errors = response.get("Errors", [])
        if errors:
            first = errors[0]
            raise OSError(
                f"Could not delete {len(errors)} of {len(keys)} objects in s3://{self._bucket}; first: "
                f"{first.get('Key')}: {first.get('Code')} {first.get('Message', '')}".rstrip()
            )

    def _not_found(self, key: str) -> AbstractContextManager[None]:
        return _missing_as_not_found(self.uri(key))

    def _unusable(self, reason: str) -> ValidationError:
        endpoint = self._config.endpoint_url or f"AWS S3 in {self._config.region}"
        return ValidationError(
            f"Cannot use the S3 bucket '{self._bucket}' at {endpoint} ({reason}). Create the bucket, or fix "
            "OUTCROP_S3_ENDPOINT_URL and the S3 credentials (OUTCROP_S3_ACCESS_KEY_ID / OUTCROP_S3_SECRET_ACCESS_KEY "
            "or boto3's usual AWS_* variables)."
        )


@contextmanager
def _missing_as_not_found(uri: str) -> Iterator[None]:
    """Turn S3's 404 for one key into ResourceNotFoundError; every other error passes through."""
    from botocore.exceptions import ClientError

    try:
        yield
    except ClientError as error:
        if _code(error) in _MISSING:
            raise ResourceNotFoundError(f"No artifact at '{uri}'.") from error
        raise


def _code(error: Any) -> str:
    code: str = error.response.get("Error", {}).get("Code", "Unknown")
    return code


def make_client(config: S3Config) -> Any:
    """A boto3 S3 client for `config` (path-style addressing for self-hosted endpoints)."""
    import boto3
    from botocore.config import Config

    # Most self-hosted S3 servers (MinIO, SeaweedFS, ...) answer only path-style URLs, not bucket.host ones.
    addressing = Config(s3={"addressing_style": "path"}) if config.endpoint_url else None
    client = boto3.client(
        "s3",
        endpoint_url=config.endpoint_url,
        region_name=config.region,
        aws_access_key_id=config.access_key_id,
        aws_secret_access_key=config.secret_access_key,
        config=addressing,
    )
    loop_guard.watch_boto3(client)
    return client
