"""Where artifacts go: parsing a location URI, and the rules every key under it follows.

A location is `s3://bucket`, `s3://bucket/prefix/...`, `file:///abs/dir`, or a plain path to a local folder.
Keys are checked the same way for every store so that a key accepted by one backend is accepted by the other.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from outcrop.errors import ValidationError

ACCEPTED_FORMS = "s3://bucket, s3://bucket/prefix, file:///absolute/folder, or a local folder path"

# S3's naming rules for general-purpose buckets: 3-63 characters, lowercase letters, digits, dots and hyphens,
# starting and ending with a letter or digit.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# Two characters at least, so a Windows drive (`C:\\out`) reads as a path, while `file:/x` or `s3:bucket` (typos of
# a URI) are refused instead of becoming oddly named relative folders.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or segments ending in "/", so `prefix + key` is the object key


@dataclass(frozen=True)
class LocalLocation:
    path: Path  # absolute


Location = S3Location | LocalLocation


def parse_location(uri: str) -> Location:
    """Parse a location URI; ValidationError names the accepted forms when `uri` is none of them."""
    text = uri.strip()
    if not text:
        raise ValidationError(f"The artifact location is empty. Use {ACCEPTED_FORMS}.")
    scheme = _SCHEME.match(text)
    if scheme is None:
        return LocalLocation(Path(text).expanduser().absolute())
    name = scheme.group(1).lower()
    if name in ("s3", "file") and not text[scheme.end() :].startswith("//"):
        raise ValidationError(f"The artifact location '{uri}' is missing '//' after '{name}:'. Use {ACCEPTED_FORMS}.")
    if name == "s3":
        return _parse_s3(text, uri)
    if name == "file":
        return _parse_file(text, uri)
    raise ValidationError(f"The artifact location '{uri}' has an unsupported scheme '{name}:'. Use {ACCEPTED_FORMS}.")


def _parse_s3(text: str, uri: str) -> S3Location:
    bucket, _, prefix = text[len("s3://") :].partition("/")
    check_bucket(bucket, uri)
    prefix = prefix.strip("/")
    if not prefix:
        return S3Location(bucket, "")
    _check_segments(prefix.split("/"), f"The prefix in the artifact location '{uri}'")
    return S3Location(bucket, prefix + "/")


def check_bucket(bucket: str, uri: str) -> None:
    """Apply S3's bucket naming rules, so a typo fails here rather than as an opaque error from the server."""
    valid = _BUCKET.fullmatch(bucket) is not None and ".." not in bucket and not _looks_like_ip(bucket)
    if not valid:
        raise ValidationError(
            f"The bucket name '{bucket}' in the artifact location '{uri}' is not a valid S3 bucket name: use 3-63 "
            "lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit "
            f"(accepted forms: {ACCEPTED_FORMS})."
        )


def _looks_like_ip(bucket: str) -> bool:
    try:
        ipaddress.IPv4Address(bucket)
    except ValueError:
        return False
    return True


def _parse_file(text: str, uri: str) -> LocalLocation:
    parts = urlsplit(text)
    # `file://host/dir` names a folder on another machine, and `file://dir` is a common typo for a relative
    # path; both would silently write somewhere unexpected, so only an empty host or localhost is accepted.
    if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
        raise ValidationError(
            f"The artifact location '{uri}' is not a local file URI: write file:///absolute/folder "
            f"(three slashes). Accepted forms: {ACCEPTED_FORMS}."
        )
    return LocalLocation(Path(unquote(parts.path)))


def check_key(key: str) -> None:
    """Reject keys that could escape the location or that stores would disagree on (`a//b`, `/a`, `a/../b`)."""
    if not key:
        raise ValidationError("An artifact key must not be empty.")
    _check_segments(key.split("/"), f"The artifact key '{key}'")


def check_prefix(prefix: str) -> None:
    """A prefix is matched as a string (as S3 does), so its last segment may be partial or empty (`job/`)."""
    if prefix:
        _check_segments(prefix.split("/")[:-1], f"The artifact prefix '{prefix}'")
        _check_no_nul(prefix, f"The artifact prefix '{prefix}'")


def check_delete_prefix(prefix: str) -> None:
    """Deleting everything under a store's root is never what a caller means; one bug must not empty a bucket."""
    if not prefix:
        raise ValidationError("Refusing to delete with an empty prefix (everything under the root); name a prefix.")
    check_prefix(prefix)


def _check_segments(segments: list[str], what: str) -> None:
    for segment in segments:
        if segment in ("", ".", ".."):
            raise ValidationError(
                f"{what} is not a relative path of names separated by single '/': it must not start with '/', "
                "contain '//', or contain '.' or '..' segments."
            )
        _check_no_nul(segment, what)


def _check_no_nul(text: str, what: str) -> None:
    if "\x00" in text:
        raise ValidationError(f"{what} must not contain a NUL character.")
