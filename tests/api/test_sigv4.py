"""SigV4 verification against requests signed by botocore's real signer."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from outcrop.api.bedrock.sigv4 import SignedRequest, canonical_request, verify
from outcrop.errors import AccessDeniedError, InvalidSignatureError, UnrecognizedClientError

AK = "AKIDOUTCROPTEST"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CREDENTIALS = {AK: SK, "AKIDOTHER": "other-secret"}
BASE = "http://127.0.0.1:8686"
INVOKE_URL = f"{BASE}/model/amazon.nova-canvas-v1%3A0/invoke"
LIST_URL = f"{BASE}/async-invoke?maxResults=10&statusEquals=InProgress&submitTimeAfter=2025-01-01T00%3A00%3A00Z"
ARN_URL = f"{BASE}/async-invoke/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aasync-invoke%2Fabcdef123456"
BODY = json.dumps({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a red fox"}}).encode()
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
MISMATCH = "The request signature we calculated does not match the signature you provided"


class RecordingSigV4Auth(SigV4Auth):
    """botocore's signer, remembering the canonical request it signed."""

    recorded: str = ""

    def canonical_request(self, request):
        self.recorded = super().canonical_request(request)
        return self.recorded


def sign(
    method="POST",
    url=INVOKE_URL,
    body=BODY,
    headers=None,
    *,
    access_key=AK,
    secret=SK,
    token=None,
    service="bedrock",
    params=None,
    context=None,
):
    """Sign like a bedrock-runtime client would and return (wire request, botocore's canonical request)."""
    aws_request = AWSRequest(
        method=method,
        url=url,
        data=body,
        headers=dict(JSON_HEADERS if headers is None else headers),
        params=params,
    )
    aws_request.context.update(context or {})
    signer = RecordingSigV4Auth(Credentials(access_key, secret, token), service, "us-east-1")
    signer.add_auth(aws_request)
    return wire(aws_request.prepare()), signer.recorded


def wire(prepared):
    """The request as the server would see it: raw path/query, lower-case headers, Host from the client."""
    parts = urlsplit(prepared.url)
    headers = {name.lower(): value for name, value in prepared.headers.items()}
    headers.setdefault("host", parts.netloc)
    headers["user-agent"] = "Boto3/1.0 md/Botocore#1.0"  # added by the client after signing, never signed
    headers["amz-sdk-invocation-id"] = "0f2b6c1e-0000-4000-8000-000000000000"
    headers["amz-sdk-request"] = "attempt=1; max=3"
    body = prepared.body or b""
    return SignedRequest(prepared.method, parts.path, parts.query, headers, bytes(body))


def signed_at(request):
    return datetime.strptime(request.headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def with_headers(request, **changes):
    return dataclasses.replace(request, headers={**request.headers, **changes})


def denied(request, **kwargs):
    kwargs.setdefault("now", datetime.now(UTC))
    with pytest.raises(AccessDeniedError) as caught:
        verify(request, CREDENTIALS, **kwargs)
    assert caught.value.http_status == 403
    return caught.value.message


# --- valid signatures --------------------------------------------------------------------------------------

VALID_CASES = {
    "invoke-post-json": {"url": INVOKE_URL},
    "list-with-query": {
        "method": "GET",
        "url": LIST_URL,
        "body": b"",
        "headers": {"Accept": "application/json"},
    },
    "get-arn-path": {"method": "GET", "url": ARN_URL, "body": b"", "headers": {}},
    "session-token": {"url": INVOKE_URL, "token": "FwoGZXIvYXdzEXAMPLE//token+with/odd=chars"},
    "dot-segments-and-double-slash": {"url": f"{BASE}/x/..//model/amazon.titan-image-generator-v2%3A0/invoke"},
    "messy-header-whitespace": {"url": INVOKE_URL, "headers": {**JSON_HEADERS, "X-Custom": "  a   b \t c  "}},
    "params-attribute": {
        "method": "GET",
        "url": f"{BASE}/async-invoke",
        "body": b"",
        "params": {
            "statusEquals": "Completed",
            "submitTimeBefore": "2025-01-01T00:00:00Z",
            "maxResults": "5",
        },
    },
}


@pytest.mark.parametrize("case", VALID_CASES.values(), ids=VALID_CASES.keys())
def test_botocore_signatures_verify(case):
    request, _ = sign(**case)
    assert verify(request, CREDENTIALS, now=datetime.now(UTC)) == AK


@pytest.mark.parametrize("case", VALID_CASES.values(), ids=VALID_CASES.keys())
def test_canonical_request_matches_botocore(case):
    request, botocore_canonical = sign(**case)
    signed = tuple(request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";"))
    assert canonical_request(request, signed) == botocore_canonical


def test_path_is_encoded_once_more():
    request, botocore_canonical = sign()
    assert request.raw_path == "/model/amazon.nova-canvas-v1%3A0/invoke"
    assert botocore_canonical.splitlines()[1] == "/model/amazon.nova-canvas-v1%253A0/invoke"


def test_arn_path_slash_stays_encoded():
    request, botocore_canonical = sign(method="GET", url=ARN_URL, body=b"", headers={})
    assert "%252Fabcdef123456" in botocore_canonical.splitlines()[1]
    assert verify(request, CREDENTIALS) == AK


def test_session_token_is_signed():
    request, _ = sign(token="session-token-value")
    assert request.headers["x-amz-security-token"] == "session-token-value"
    assert "x-amz-security-token" in request.headers["authorization"]
    message = denied(with_headers(request, **{"x-amz-security-token": "swapped"}))
    assert MISMATCH in message


def test_accepts_signature_at_the_edge_of_the_skew_window():
    request, _ = sign()
    at = signed_at(request)
    assert verify(request, CREDENTIALS, now=at + timedelta(minutes=15)) == AK
    assert verify(request, CREDENTIALS, now=at - timedelta(minutes=15)) == AK


def test_naive_now_is_taken_as_utc():
    request, _ = sign()
    assert verify(request, CREDENTIALS, now=signed_at(request).replace(tzinfo=None)) == AK


# --- requests captured from a real bedrock-runtime client, stopped before they leave the process ---------


class _CapturedError(Exception):
    pass


@pytest.fixture(scope="module")
def captured_requests():
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=BASE,
        region_name="us-west-2",
        aws_access_key_id=AK,
        aws_secret_access_key=SK,
        aws_session_token="session-token-value",
    )
    seen = []

    def grab(request, **_):
        seen.append(request)
        raise _CapturedError

    client.meta.events.register("before-send", grab)
    calls = [
        lambda: client.invoke_model(modelId="amazon.nova-canvas-v1:0", body=BODY),
        lambda: client.invoke_model(
            modelId="amazon.nova-canvas-v1:0", body=BODY, contentType="application/json", accept="image/png"
        ),
        lambda: client.list_async_invokes(
            maxResults=10, statusEquals="InProgress", submitTimeAfter=datetime(2025, 1, 1, tzinfo=UTC)
        ),
        lambda: client.get_async_invoke(invocationArn="arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc def"),
    ]
    for call in calls:
        with pytest.raises(_CapturedError):
            call()
    client.close()
    return [_from_prepared(request) for request in seen]


def _from_prepared(prepared):
    parts = urlsplit(prepared.url)
    headers = {
        name.lower(): value.decode() if isinstance(value, bytes) else value for name, value in prepared.headers.items()
    }
    headers["host"] = parts.netloc
    return SignedRequest(prepared.method, parts.path, parts.query, headers, bytes(prepared.body or b""))


def test_real_client_requests_verify(captured_requests):
    assert len(captured_requests) == 4
    for request in captured_requests:
        assert verify(request, CREDENTIALS, now=datetime.now(UTC)) == AK


def test_real_client_wire_form(captured_requests):
    bare_invoke, typed_invoke, listing, get = captured_requests
    assert bare_invoke.raw_path == "/model/amazon.nova-canvas-v1%3A0/invoke"
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in bare_invoke.headers["authorization"]
    assert "SignedHeaders=accept;content-type;host;" in typed_invoke.headers["authorization"]
    assert "/us-west-2/bedrock/aws4_request" in listing.headers["authorization"]
    assert "submitTimeAfter=2025-01-01T00%3A00%3A00Z" in listing.query_string
    assert get.raw_path.endswith("%3Aasync-invoke%2Fabc%20def")
    assert MISMATCH in denied(dataclasses.replace(get, raw_path=get.raw_path.replace("%20", "+")))


# --- tampering and wrong keys ------------------------------------------------------------------------------


def test_tampered_body_is_refused():
    request, _ = sign()
    message = denied(dataclasses.replace(request, body=request.body.replace(b"fox", b"cat")))
    assert message.startswith(MISMATCH)
    assert "Check your AWS Secret Access Key and signing method." in message


def test_tampered_path_is_refused():
    request, _ = sign()
    tampered = request.raw_path.replace("nova-canvas", "titan-image-generator")
    assert MISMATCH in denied(dataclasses.replace(request, raw_path=tampered))


def test_decoded_path_is_refused():
    """The wire layer must pass the raw path: a decoded one canonicalizes differently."""
    request, _ = sign()
    assert MISMATCH in denied(dataclasses.replace(request, raw_path="/model/amazon.nova-canvas-v1:0/invoke"))


def test_tampered_query_is_refused():
    request, _ = sign(method="GET", url=LIST_URL, body=b"")
    tampered = request.query_string.replace("maxResults=10", "maxResults=1000")
    assert MISMATCH in denied(dataclasses.replace(request, query_string=tampered))


def test_query_order_does_not_matter():
    request, _ = sign(method="GET", url=LIST_URL, body=b"")
    reordered = "&".join(reversed(request.query_string.split("&")))
    assert verify(dataclasses.replace(request, query_string=reordered), CREDENTIALS) == AK


def test_tampered_signed_header_is_refused():
    request, _ = sign()
    assert MISMATCH in denied(with_headers(request, **{"content-type": "text/plain"}))


def test_unsigned_headers_may_change():
    request, _ = sign()
    changed = with_headers(request, **{"amz-sdk-request": "attempt=2; max=3", "content-length": "99"})
    assert verify(changed, CREDENTIALS) == AK


def test_missing_signed_header_is_refused():
    request, _ = sign()
    headers = {name: value for name, value in request.headers.items() if name != "accept"}
    message = denied(dataclasses.replace(request, headers=headers))
    assert "SignedHeaders lists accept" in message


def test_wrong_secret_is_refused():
    request, _ = sign(secret="not-the-secret")
    message = denied(request)
    assert message == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method."
    )


def test_mismatch_carries_canonical_request_for_logs():
    request, botocore_canonical = sign(secret="not-the-secret")
    with pytest.raises(AccessDeniedError) as caught:
        verify(request, CREDENTIALS)
    assert caught.value.extra["canonical_request"] == botocore_canonical
    assert SK not in str(caught.value.extra)


def test_unknown_access_key_is_unrecognized_client():
    request, _ = sign(access_key="AKIDUNKNOWN")
    with pytest.raises(UnrecognizedClientError) as caught:
        verify(request, CREDENTIALS)
    assert caught.value.code == "UnrecognizedClientException"
    assert "'AKIDUNKNOWN' is not configured" in caught.value.message


def test_another_configured_key_verifies():
    request, _ = sign(access_key="AKIDOTHER", secret="other-secret")
    assert verify(request, CREDENTIALS) == "AKIDOTHER"


# --- dates -------------------------------------------------------------------------------------------------


def test_expired_signature_is_refused():
    request, _ = sign()
    message = denied(request, now=signed_at(request) + timedelta(minutes=16))
    assert message.startswith("Signature expired:")
    assert request.headers["x-amz-date"] in message
    assert "15 min." in message


def test_future_signature_is_refused():
    request, _ = sign()
    message = denied(request, now=signed_at(request) - timedelta(minutes=16))
    assert message.startswith("Signature not yet current:")


def test_custom_skew_window():
    request, _ = sign()
    message = denied(request, now=signed_at(request) + timedelta(minutes=2), max_skew=timedelta(minutes=1))
    assert "1 min." in message


def test_missing_amz_date_is_refused():
    request, _ = sign()
    headers = {name: value for name, value in request.headers.items() if name != "x-amz-date"}
    assert "must contain an X-Amz-Date header" in denied(dataclasses.replace(request, headers=headers))


def test_malformed_amz_date_is_refused():
    request, _ = sign()
    message = denied(with_headers(request, **{"x-amz-date": "2025-01-01T00:00:00Z"}))
    assert "Invalid X-Amz-Date header '2025-01-01T00:00:00Z'" in message


def test_scope_date_must_match_amz_date():
    request, _ = sign()
    next_day = signed_at(request) + timedelta(days=1)
    shifted = with_headers(request, **{"x-amz-date": next_day.strftime("%Y%m%dT%H%M%SZ")})
    message = denied(shifted, now=next_day)
    assert "Date in Credential scope does not match" in message


# --- the Authorization header ------------------------------------------------------------------------------


def test_missing_authorization_says_what_to_send():
    request, _ = sign()
    headers = {name: value for name, value in request.headers.items() if name != "authorization"}
    message = denied(dataclasses.replace(request, headers=headers))
    assert "Signature Version 4" in message
    assert "Authorization: Bearer <key>" in message


def test_other_algorithm_is_refused():
    request, _ = sign()
    message = denied(with_headers(request, authorization=f"AWS {AK}:c2lnbmF0dXJl"))
    assert "Unsupported authorization type 'AWS'" in message


def test_malformed_authorization_is_refused():
    request, _ = sign()
    truncated = request.headers["authorization"].split(", Signature=")[0]
    message = denied(with_headers(request, authorization=truncated))
    assert "Malformed AWS4-HMAC-SHA256 Authorization header: missing 'Signature'" in message


def test_malformed_credential_is_refused():
    request, _ = sign()
    broken = request.headers["authorization"].replace("/aws4_request", "")
    assert "Malformed Credential" in denied(with_headers(request, authorization=broken))


def test_wrong_service_is_refused():
    request, _ = sign(service="s3")
    message = denied(request)
    assert "scoped to correct service: 'bedrock'" in message
    assert "received 's3'" in message


def test_host_must_be_signed():
    request, _ = sign()
    auth = request.headers["authorization"].replace("SignedHeaders=", "SignedHeaders=x;").replace(";host", "")
    assert "'Host' must be a signed header" in denied(with_headers(request, authorization=auth))


# --- the payload hash ---------------------------------------------------------------------------------------


def test_signature_errors_are_invalid_signature_exceptions():
    request, _ = sign(secret="not-the-secret")
    with pytest.raises(InvalidSignatureError) as caught:
        verify(request, CREDENTIALS)
    assert (caught.value.code, caught.value.http_status) == ("InvalidSignatureException", 403)


def test_declared_hash_of_the_body_verifies():
    request, _ = sign(headers={**JSON_HEADERS, "X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})
    assert verify(request, CREDENTIALS) == AK


def test_body_swapped_under_a_signed_content_hash_is_refused():
    """The attack: sign a body with its hash in x-amz-content-sha256, then send another body."""
    request, _ = sign(headers={**JSON_HEADERS, "X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})
    message = denied(dataclasses.replace(request, body=b'{"taskType": "SWAPPED"}'))
    assert "does not match the SHA-256 of the body the server received" in message


def test_unsigned_payload_is_refused():
    """botocore signs UNSIGNED-PAYLOAD only when an operation disables payload signing; none served here does."""
    request, _ = sign(
        url="https://bedrock.example.test/model/amazon.nova-canvas-v1%3A0/invoke",
        headers={**JSON_HEADERS, "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
        context={"payload_signing_enabled": False},
    )
    assert "UNSIGNED-PAYLOAD is not accepted here" in denied(request)


# --- presigned URLs ------------------------------------------------------------------------------------------


def presign(url=f"{BASE}/foundation-models", expires=60, secret=SK):
    aws_request = AWSRequest(method="GET", url=url, data=b"", headers={})
    SigV4QueryAuth(Credentials(AK, secret), "bedrock", "us-east-1", expires=expires).add_auth(aws_request)
    return wire(aws_request.prepare())


def test_presigned_url_verifies():
    assert verify(presign(), CREDENTIALS) == AK


def test_presigned_url_with_wrong_secret_is_refused():
    assert "signature we calculated does not match" in denied(presign(secret="not-the-secret"))


def test_expired_presigned_url_is_refused():
    request = presign(expires=60)
    signed = datetime.strptime(dict(parse_qsl(request.query_string))["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    message = denied(request, now=signed.replace(tzinfo=UTC) + timedelta(seconds=61))
    assert message.startswith("Request has expired")


def test_presigned_url_may_be_older_than_the_skew_window():
    request = presign(expires=3600)
    signed = datetime.strptime(dict(parse_qsl(request.query_string))["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    assert verify(request, CREDENTIALS, now=signed.replace(tzinfo=UTC) + timedelta(minutes=30)) == AK


def test_tampered_presigned_query_is_refused():
    request = presign(url=f"{BASE}/foundation-models?byProvider=Amazon")
    tampered = dataclasses.replace(request, query_string=request.query_string.replace("Amazon", "Other"))
    assert "signature we calculated does not match" in denied(tampered)
