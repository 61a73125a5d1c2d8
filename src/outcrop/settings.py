"""One typed configuration object, read from the environment (prefix OUTCROP_) by the entrypoint only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from outcrop.boundaries import DataBoundaries

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}  # fmt: skip
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_bytes(value: object) -> int | None:
    """`6GB`, `512MB`, `1.5GiB` or a plain byte count (`1`) -> bytes; None or "" -> None (the device decides)."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    match = _SIZE.match(str(value))
    unit = match.group(2).upper() if match else ""
    if match is None or unit not in _UNITS:
        raise ValueError(f"{value!r} is not a size; write e.g. 6GB, 512MB, 2GiB or a byte count.")
    return int(float(match.group(1)) * _UNITS[unit])


class Settings(BaseSettings):
    """Everything Outcrop can be configured with; built once in the entrypoint and passed down."""

    model_config = SettingsConfigDict(env_prefix="OUTCROP_", frozen=True)

    home: Path = Field(default_factory=lambda: Path.home() / ".outcrop")
    models_path: Path | None = Field(default=None, description="Where weights live (default $OUTCROP_HOME/models)")
    profile: str = "default"
    host: str = "127.0.0.1"
    port: int = 8686
    region: str = "us-east-1"
    account_id: str = "123456789012"
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    api_keys_file: Path | None = Field(default=None, description="API keys (default $OUTCROP_HOME/api-keys.toml)")
    keys_dsn: str | None = Field(
        default=None, description="PostgreSQL URL for API keys shared by API replicas (default the keys file)"
    )
    keys_refresh_s: float = Field(default=5.0, gt=0, description="Re-read PostgreSQL API keys this often (seconds)")
    max_body_bytes: int = 25_000_000
    queue_size: int = 16
    request_timeout_s: float = 600.0
    # Record blocking calls (SQL, S3, vector search) made on the event loop thread; the tests turn it on.
    check_event_loop: bool = False
    torch_threads: int | None = None
    embedding_cache_entries: int = 200_000
    pg_dsn: str | None = Field(default=None, description="PostgreSQL URL for pgvector knowledge bases")
    s3_endpoint_url: str | None = Field(default=None, description="S3-compatible endpoint for s3:// sources")
    review_enabled: bool = Field(default=True, description="Hold generated assets for human review before release")
    release_location: str | None = Field(default=None, description="Folder or s3://bucket/prefix for approved assets")
    provenance_key: Path | None = Field(
        default=None, description="Ed25519 PEM (default: dev key in $OUTCROP_HOME/keys)"
    )
    c2pa_enabled: bool = Field(default=False, description="Also embed C2PA Content Credentials (needs c2pa-python)")
    c2pa_chain: Path | None = Field(default=None, description="PEM certificate chain for C2PA (default: local dev CA)")
    s3_region: str | None = Field(default=None, description="Region for the S3 endpoint (default: region)")
    s3_access_key_id: str | None = Field(default=None, description="S3 credentials (default: the AWS chain)")
    s3_secret_access_key: SecretStr | None = None
    jobs_dsn: str | None = Field(default=None, description="PostgreSQL URL for async job state (default SQLite)")
    job_workers: int = Field(default=1, description="In-process job worker threads (0 when Celery workers run jobs)")
    broker_url: str | None = Field(default=None, description="redis:// URL: dispatch jobs to Celery workers")
    job_lease_s: float = Field(default=30.0, description="A job whose worker is silent this long runs again")
    job_max_attempts: int = 3
    video_watermark_every: int = Field(default=12, description="Watermark every Nth video frame (1: all)")
    device: str = Field(default="auto", description="auto, cpu, cuda, cuda:N, mps or xpu (auto: the first found)")
    dtype: str = Field(default="auto", description="auto, float32, float16, bfloat16 (auto: fp32 on CPU, else 16-bit)")
    model_memory_budget: Annotated[int | None, BeforeValidator(parse_bytes)] = Field(
        default=None, description="Bytes of models kept loaded per device, e.g. 6GB (default: part of free memory)"
    )
    source_roots: tuple[Path, ...] | None = Field(
        default=None,
        description="Folders knowledge bases may ingest from (JSON list; unset: any, or none once "
        "credentials are configured)",
    )
    allowed_buckets: tuple[str, ...] | None = Field(
        default=None,
        description="Buckets or bucket/prefixes s3:// sources and job outputs may use (JSON list; "
        "unset: any, or none once credentials are configured)",
    )
    preload: tuple[str, ...] = Field(default=(), description="Model ids to load at startup, not on first request")

    @property
    def models_dir(self) -> Path:
        return self.models_path or self.home / "models"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def artifacts_dir(self) -> Path:
        """Default output location of async jobs started through the native API."""
        return self.home / "artifacts"

    @property
    def catalog_file(self) -> Path:
        """The user-editable catalog overlay; entries here replace the built-in ones with the same id."""
        return self.home / "catalog.toml"

    @property
    def api_keys_path(self) -> Path:
        return self.api_keys_file or self.home / "api-keys.toml"

    @property
    def boundaries(self) -> DataBoundaries:
        """Folders and buckets requests may name; with credentials configured, unset means none."""
        return DataBoundaries.build(self.source_roots, self.allowed_buckets, locked=self.auth_configured,
                                    own=(self.artifacts_dir,))  # fmt: skip

    @property
    def auth_configured(self) -> bool:
        """An access key pair or an active API key: the server then requires credentials on every route."""
        from outcrop.access import key_store

        if self.signing_credentials:
            return True
        store = key_store(self)
        try:
            return any(not key.revoked for key in store.load())
        finally:
            store.close()

    @property
    def signing_credentials(self) -> dict[str, str]:
        """Access key id -> secret for SigV4 verification; empty (accept any signature) unless both are set."""
        if self.access_key_id is None or self.secret_access_key is None:
            return {}
        return {self.access_key_id: self.secret_access_key.get_secret_value()}
