"""AWS Signature Version 4 verification for requests arriving at the Bedrock-compatible API.

Framework-independent: the wire layer copies what it received into a `SignedRequest` (the path and query
exactly as they arrived, still percent-encoded) and calls `verify`, which either returns the caller's access
key id or raises an `AccessDeniedError` (UnrecognizedClientException for an unknown key, InvalidSignatureException
for a signature, date or payload hash that does not verify) with a message saying what to fix. Both of AWS's forms
are accepted: the Authorization header and the presigned query (X-Amz-Algorithm, X-Amz-Credential, ...).

The canonical request mirrors botocore's `SigV4Auth` for the `bedrock` signing name: the wire path is
percent-encoded once more (`%3A` -> `%253A`) after removing dot segments and empty segments, query parameters
are re-encoded with the SigV4 unreserved set and sorted, signed header values are trimmed with inner
whitespace collapsed, and the payload hash is always the SHA-256 of the body received: a declared
`x-amz-content-sha256` must equal it (none of the services served here accepts UNSIGNED-PAYLOAD).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, unquote

from outcrop.errors import AccessDeniedError, InvalidSignatureError, UnrecognizedClientError

__all__ = [
    "ACCEPTED_SERVICES",
    "ALGORITHM",
    "SignedRequest",
    "canonical_request",
    "verify",
]

ALGORITHM = "AWS4-HMAC-SHA256"
ACCEPTED_SERVICES: frozenset[str] = frozenset({"bedrock", "s3vectors", "sts"})  # all sign the same way
MAX_PRESIGNED_EXPIRY_S = 7 * 24 * 3600  # AWS's limit for X-Amz-Expires

_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_TERMINATOR = "aws4_request"
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)


@dataclass(frozen=True)
class SignedRequest:
    """One incoming request as it arrived on the wire.

    `raw_path` and `query_string` are still percent-encoded; `headers` has lower-case names.
    """

    method: str
    raw_path: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class _Authorization:
    """The parsed parts of an `AWS4-HMAC-SHA256` Authorization header."""

    access_key: str
    scope_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.scope_date}/{self.region}/{self.service}/{_TERMINATOR}"


def verify(
    request: SignedRequest,
    credentials: Mapping[str, str],
    *,
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=15),
) -> str:
    """Check the request's signature; return the verified access key id.

    `credentials` maps access key id -> secret access key. Raises `AccessDeniedError` (or a subclass) on failure.
    """
    headers = {name.lower(): value for name, value in request.headers.items()}
    if is_presigned(request.query_string):
        return _verify_presigned(request, headers, credentials, now or datetime.now(UTC), max_skew)
    authorization = headers.get("authorization", "").strip()
    if not authorization:
        raise AccessDeniedError(missing_message())
    scheme, _, rest = authorization.partition(" ")
    if scheme != ALGORITHM:
        raise AccessDeniedError(
            f"Unsupported authorization type '{scheme}'. Sign requests with AWS Signature Version 4 ({ALGORITHM})."
        )
    auth = _parse_authorization(rest)
    secret = _secret_for(auth, credentials)
    amz_date = _check_date(headers.get("x-amz-date", "").strip(), auth, now or datetime.now(UTC), max_skew)
    _check_signature(request, headers, auth, amz_date, secret)
    return auth.access_key


def is_presigned(query_string: str) -> bool:
    return "X-Amz-Algorithm=" in query_string or "x-amz-algorithm=" in query_string.lower()


def canonical_request(request: SignedRequest, signed_headers: tuple[str, ...]) -> str:
    """The SigV4 canonical request, as botocore computes it when signing for the `bedrock` service."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    return "\n".join(
        [
            request.method.upper(),
            _canonical_uri(request.raw_path),
            _canonical_query(_without_signature(request.query_string)),
            _canonical_headers(headers, signed_headers),
            ";".join(signed_headers),
            _payload_hash(headers, request.body),
        ]
    )


def missing_message() -> str:
    return (
        "Missing Authentication Token: this server requires credentials. Sign requests with AWS Signature "
        "Version 4 (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to a configured key pair and do not use "
        "signature_version=UNSIGNED), or send an API key as 'Authorization: Bearer <key>' (OUTCROP_API_KEY)."
    )


def _secret_for(auth: _Authorization, credentials: Mapping[str, str]) -> str:
    secret = credentials.get(auth.access_key)
    if secret is None:
        raise UnrecognizedClientError(
            f"The security token included in the request is invalid: access key id '{auth.access_key}' is not "
            "configured on this server. Use the key pair set in OUTCROP_ACCESS_KEY_ID / OUTCROP_SECRET_ACCESS_KEY."
        )
    return secret


def _verify_presigned(
    request: SignedRequest, headers: Mapping[str, str], credentials: Mapping[str, str], now: datetime,
    max_skew: timedelta,
) -> str:  # fmt: skip
    query = dict(parse_qsl(request.query_string, keep_blank_values=True))
    missing = [name for name in _PRESIGN_FIELDS if not query.get(name)]
    if missing or query["X-Amz-Algorithm"] != ALGORITHM:
        raise AccessDeniedError(
            f"Malformed presigned URL: it needs {', '.join(_PRESIGN_FIELDS)} with X-Amz-Algorithm={ALGORITHM} "
            f"(missing: {', '.join(missing) or 'none'}). Presign it again with botocore."
        )
    auth = _build_authorization(query["X-Amz-Credential"], query["X-Amz-SignedHeaders"], query["X-Amz-Signature"])
    secret = _secret_for(auth, credentials)
    amz_date = _check_date(query["X-Amz-Date"], auth, now, max_skew, presigned=True)
    _check_expiry(query["X-Amz-Expires"], amz_date, now)
    _check_signature(request, headers, auth, amz_date, secret)
    return auth.access_key


_PRESIGN_FIELDS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
                   "X-Amz-Signature")  # fmt: skip


def _check_expiry(expires: str, amz_date: str, now: datetime) -> None:
    if not expires.isdigit() or not 0 < int(expires) <= MAX_PRESIGNED_EXPIRY_S:
        raise AccessDeniedError(
            f"X-Amz-Expires must be a number of seconds from 1 to {MAX_PRESIGNED_EXPIRY_S} (7 days), not '{expires}'."
        )
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    if now > _parse_amz_date(amz_date) + timedelta(seconds=int(expires)):
        raise InvalidSignatureError(
            f"Request has expired: the presigned URL signed at {amz_date} was valid for {expires} s. Presign it again."
        )


def _without_signature(query_string: str) -> str:
    return "&".join(p for p in query_string.split("&") if not p.startswith("X-Amz-Signature="))


def _parse_authorization(rest: str) -> _Authorization:
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        raise AccessDeniedError(
            f"Malformed {ALGORITHM} Authorization header: missing "
            + ", ".join(f"'{name}'" for name in missing)
            + ". Expected 'Credential=<access key>/<yyyymmdd>/<region>/bedrock/aws4_request, "
            "SignedHeaders=<names>, Signature=<hex>'."
        )
    return _build_authorization(fields["Credential"], fields["SignedHeaders"], fields["Signature"])


def _build_authorization(credential: str, signed_headers: str, signature: str) -> _Authorization:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != _TERMINATOR or not all(parts):
        raise AccessDeniedError(
            f"Malformed Credential '{credential}' in the Authorization header. Expected "
            "'<access key>/<yyyymmdd>/<region>/<service>/aws4_request'."
        )
    if parts[3] not in ACCEPTED_SERVICES:
        raise AccessDeniedError(
            f"Credential should be scoped to correct service: 'bedrock' (received '{parts[3]}'). "
            "Use a bedrock-runtime or bedrock-agent-runtime client, whose signing name is 'bedrock'."
        )
    names = tuple(signed_headers.split(";"))
    if "host" not in names:
        raise AccessDeniedError("'Host' must be a signed header in the Authorization header (SignedHeaders).")
    return _Authorization(parts[0], parts[1], parts[2], parts[3], names, signature)


def _check_date(
    amz_date: str, auth: _Authorization, now: datetime, max_skew: timedelta, *, presigned: bool = False
) -> str:
    """The date must match the scope and lie within `max_skew` of now (a presigned URL may be older: X-Amz-Expires
    bounds it instead)."""
    sent = _parse_amz_date(amz_date)
    if auth.scope_date != amz_date[:8]:
        raise InvalidSignatureError(
            "Date in Credential scope does not match YYYYMMDD from the X-Amz-Date header: "
            f"'{auth.scope_date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    if sent < now - max_skew and not presigned:
        raise InvalidSignatureError(
            f"Signature expired: {amz_date} is now earlier than {_amz(now - max_skew)} "
            f"({_amz(now)} - {_minutes(max_skew)}). Check the client's clock."
        )
    if sent > now + max_skew:
        raise InvalidSignatureError(
            f"Signature not yet current: {amz_date} is still later than {_amz(now + max_skew)} "
            f"({_amz(now)} + {_minutes(max_skew)}). Check the client's clock."
        )
    return amz_date


def _parse_amz_date(amz_date: str) -> datetime:
    if not amz_date:
        raise AccessDeniedError(
            "The request must contain an X-Amz-Date header (yyyymmddThhmmssZ) when signed with SigV4."
        )
    try:
        return datetime.strptime(amz_date, _AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise AccessDeniedError(
            f"Invalid X-Amz-Date header '{amz_date}': expected the basic ISO 8601 form yyyymmddThhmmssZ."
        ) from None


def _amz(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_AMZ_DATE_FORMAT)


def _minutes(span: timedelta) -> str:
    return f"{span.total_seconds() / 60:g} min."


def _check_signature(
    request: SignedRequest, headers: Mapping[str, str], auth: _Authorization, amz_date: str, secret: str
) -> None:
    absent = [name for name in auth.signed_headers if name not in headers]
    if absent:
        raise InvalidSignatureError(
            f"SignedHeaders lists {', '.join(absent)} but the request carries no such header. {_MISMATCH}"
        )
    creq = canonical_request(request, auth.signed_headers)
    to_sign = "\n".join([ALGORITHM, amz_date, auth.scope, _sha256_hex(creq.encode())])
    key = _signing_key(secret, auth)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise InvalidSignatureError(_MISMATCH, canonical_request=creq, string_to_sign=to_sign)


def _signing_key(secret: str, auth: _Authorization) -> bytes:
    key = f"AWS4{secret}".encode()
    for step in (auth.scope_date, auth.region, auth.service, _TERMINATOR):
        key = hmac.new(key, step.encode(), hashlib.sha256).digest()
    return key


def _canonical_uri(raw_path: str) -> str:
    """Encode the (already percent-encoded) wire path once more, after botocore's dot-segment removal."""
    kept: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(quote(segment, safe="~"))
    if not raw_path:
        return "/"
    lead = "/" if raw_path.startswith("/") else ""
    trail = "/" if raw_path.endswith("/") and kept else ""
    return lead + "/".join(kept) + trail


def _canonical_query(query_string: str) -> str:
    pairs: list[tuple[str, str]] = []
    for piece in query_string.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            pairs.append((_encode_query_part(key), _encode_query_part(value)))
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def _encode_query_part(text: str) -> str:
    return quote(unquote(text), safe="-_.~")


def _canonical_headers(headers: Mapping[str, str], signed_headers: tuple[str, ...]) -> str:
    lines = [f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed_headers]
    return "".join(lines)


def _payload_hash(headers: Mapping[str, str], body: bytes) -> str:
    """The SHA-256 of the body received; a declared x-amz-content-sha256 must be the same."""
    received = _sha256_hex(body)
    declared = headers.get("x-amz-content-sha256")
    if declared is None or declared.strip().lower() == received:
        return received
    if declared.strip().upper().startswith(("UNSIGNED-PAYLOAD", "STREAMING-")):
        raise InvalidSignatureError(
            f"x-amz-content-sha256: {declared} is not accepted here: Bedrock and S3 Vectors requests sign their "
            "payload. Send the body's SHA-256 in hex, or leave the header out."
        )
    raise InvalidSignatureError(
        "The x-amz-content-sha256 header does not match the SHA-256 of the body the server received "
        f"({received}); the body changed after signing. Sign the body you send."
    )


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
