"""Artifact storage: where job outputs are written, a local folder or an S3-compatible bucket."""

from __future__ import annotations

from outcrop.storage.base import ArtifactStore
from outcrop.storage.local import LocalStore
from outcrop.storage.location import LocalLocation, Location, S3Location, parse_location
from outcrop.storage.s3 import S3Config, S3Store, make_client
from outcrop.storage.staging import commit_staged, staging_prefix_for

__all__ = [
    "ArtifactStore",
    "LocalLocation",
    "LocalStore",
    "Location",
    "S3Config",
    "S3Location",
    "S3Store",
    "commit_staged",
    "make_client",
    "open_store",
    "parse_location",
    "staging_prefix_for",
]


def open_store(uri: str, s3: S3Config) -> ArtifactStore:
    """The store for a location URI; `s3` says how to reach the service when the location is `s3://`."""
    location = parse_location(uri)
    if isinstance(location, S3Location):
        return S3Store(location.bucket, location.prefix, s3)
    return LocalStore(location.path)
