"""With credentials configured, every route needs one: SigV4 (header or presigned), an API key, or a UI session.

A tiny-profile server with an access key pair and an API keys file; every route the app registers is walked, so a
route added without protection fails `test_every_route_refuses_an_unsigned_request`.
"""

from __future__ import annotations

import hashlib
import json
import re
import resource
from typing import Any

import httpx
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from starlette.routing import Mount, Route

from outcrop.access import Action, ApiKey, KeyFile
from outcrop.api.bedrock.routing import RawPathRoute
from support.live_server import TEST_KEY, TEST_SECRET, start_server

# The routes that answer without credentials: health, readiness, docs, metrics and the UI's sign-in shell.
PUBLIC = {("GET", "/health"), ("GET", "/ready"), ("GET", "/docs"), ("GET", "/redoc"), ("GET", "/openapi.json"),
          ("GET", "/metrics"), ("GET", "/docs-assets/{path}"), ("HEAD", "/openapi.json"), ("GET", "/ui"),
          ("GET", "/ui/"), ("GET", "/ui/session"), ("POST", "/ui/session")}  # fmt: skip
CANVAS = "amazon.nova-canvas-v1:0"


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("auth-home")
    store = KeyFile(home / "api-keys.toml")
    made = {
        "all": ApiKey("all-actions", ""),
        "reader": ApiKey("reader", "", actions=frozenset({Action.INVOKE}), models=("amazon.titan-embed-*",)),
        "limited": ApiKey("limited", "", rate_per_minute=2),
        "revoked": ApiKey("revoked", ""),
    }
    secrets = {label: store.create(template)[1] for label, template in made.items()}
    store.revoke("revoked")
    return secrets | {"home": str(home)}


@pytest.fixture(scope="module")
def locked_server(keys, models_dir):
    from pathlib import Path

    with start_server(home=Path(keys["home"]), models_dir=models_dir, profile="tiny", access_key_id=TEST_KEY,
                      secret_access_key=TEST_SECRET, max_body_bytes=5_000_000) as server:  # fmt: skip
        yield server


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def signed(method: str, url: str, body: bytes = b"", secret: str = TEST_SECRET, **headers: str) -> httpx.Response:
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json", **headers})
    SigV4Auth(Credentials(TEST_KEY, secret), "bedrock", "us-east-1").add_auth(request)
    prepared = request.prepare()
    return httpx.request(method, prepared.url, content=body, headers=dict(prepared.headers), timeout=60)


def error_type(response: httpx.Response) -> str:
    return str(response.json().get("__type"))


# --- every route ---------------------------------------------------------------------------------------------


def registered_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path template) of every route, RawPathRoutes, included routers and mounts too."""
    found: list[tuple[str, str]] = []
    pending = list(app.routes)
    while pending:
        route = pending.pop()
        if isinstance(route, RawPathRoute):
            found.append((route.method, route.template))
        elif isinstance(route, Mount):
            found.append(("GET", route.path + "/{path}"))
        elif isinstance(route, Route) or hasattr(route, "methods"):
            found += [(method, route.path) for method in sorted(route.methods or ["GET"])]
        elif hasattr(route, "original_router"):  # FastAPI's included router
            pending += list(route.original_router.routes)
        else:
            raise AssertionError(f"the auth matrix does not know route type {type(route).__name__}; teach it")
    return found


def test_every_route_refuses_an_unsigned_request(locked_server):
    routes = registered_routes(locked_server.server.config.app)
    assert len(routes) > 60  # the walk reached the included routers and the Bedrock RawPathRoutes
    answered = []
    for method, template in routes:
        path = re.sub(r"\{[^}]+\}", "x", template)
        response = httpx.request(method, locked_server.url + path, content=b"{}", timeout=30)
        refused = response.status_code == 403 and error_type(response) == "AccessDeniedException"
        if refused == ((method, template) in PUBLIC):
            answered.append((method, template, response.status_code))
    assert answered == []


def test_thumbnails_and_ui_data_need_a_session(locked_server):
    assert httpx.get(f"{locked_server.url}/ui/thumbnails/kb/item").status_code == 403
    assert httpx.get(f"{locked_server.url}/ui/js/main.js").status_code == 200  # the sign-in shell itself


def test_health_and_ready_need_no_signature(locked_server):
    assert httpx.get(f"{locked_server.url}/health").status_code == 200
    assert httpx.get(f"{locked_server.url}/ready").json() == {"status": "ready"}


# --- SigV4 ---------------------------------------------------------------------------------------------------


def test_correct_signature_passes(locked_server):
    bedrock = locked_server.client("bedrock")
    assert bedrock.list_foundation_models()["modelSummaries"]


def test_wrong_secret_is_invalid_signature(locked_server):
    runtime = locked_server.client("bedrock-runtime", secret="not-the-secret")
    with pytest.raises(runtime.exceptions.ClientError) as caught:
        runtime.invoke_model(modelId=CANVAS, body=b"{}")
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "signature we calculated does not match" in caught.value.response["Error"]["Message"]


def test_unknown_key_is_unrecognized_client(locked_server):
    runtime = locked_server.client("bedrock-runtime", key="AKIDUNKNOWN")
    with pytest.raises(runtime.exceptions.ClientError) as caught:
        runtime.invoke_model(modelId=CANVAS, body=b"{}")
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_unsigned_request_is_access_denied(locked_server):
    unsigned = Config(signature_version=UNSIGNED, retries={"max_attempts": 1})
    runtime = locked_server.client("bedrock-runtime", config=unsigned)
    with pytest.raises(runtime.exceptions.AccessDeniedException):
        runtime.invoke_model(modelId=CANVAS, body=b"{}")


def test_signed_request_reaches_validation(locked_server):
    """A good signature over a percent-encoded model id path verifies, and the body is then validated."""
    runtime = locked_server.client("bedrock-runtime")
    with pytest.raises(runtime.exceptions.ValidationException):
        runtime.invoke_model(modelId=CANVAS, body=b'{"taskType": "NOPE"}')


def test_body_swapped_after_signing_is_refused(locked_server):
    url = f"{locked_server.url}/model/amazon.nova-canvas-v1%3A0/invoke"
    body = b'{"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a fox"}}'
    request = AWSRequest(method="POST", url=url, data=body,
                         headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()})  # fmt: skip
    SigV4Auth(Credentials(TEST_KEY, TEST_SECRET), "bedrock", "us-east-1").add_auth(request)
    swapped = body.replace(b"a fox", b"a cat")
    response = httpx.post(url, content=swapped, headers=dict(request.prepare().headers))
    assert (response.status_code, error_type(response)) == (403, "InvalidSignatureException")
    assert "body changed after signing" in response.json()["message"]


def test_presigned_url_is_accepted(locked_server):
    request = AWSRequest(method="GET", url=f"{locked_server.url}/foundation-models", data=b"", headers={})
    SigV4QueryAuth(Credentials(TEST_KEY, TEST_SECRET), "bedrock", "us-east-1", expires=60).add_auth(request)
    assert httpx.get(request.prepare().url).status_code == 200


def test_native_routes_accept_sigv4(locked_server):
    assert signed("GET", f"{locked_server.url}/v1/models").status_code == 200


def test_signed_ingestion_of_etc_is_refused(locked_server):
    created = signed("POST", f"{locked_server.url}/v1/knowledge-bases", json.dumps({"name": "etc-probe"}).encode())
    assert created.status_code == 201, created.text
    kb_id = created.json()["id"]
    response = signed("POST", f"{locked_server.url}/v1/knowledge-bases/{kb_id}/ingestions", b'{"source": "/etc"}')
    assert (response.status_code, error_type(response)) == (403, "AccessDeniedException")
    assert "OUTCROP_SOURCE_ROOTS" in response.json()["message"]


# --- API keys ------------------------------------------------------------------------------------------------


def test_api_key_reaches_native_and_bedrock_routes(locked_server, keys):
    assert httpx.get(f"{locked_server.url}/v1/models", headers=bearer(keys["all"])).status_code == 200
    assert httpx.get(f"{locked_server.url}/foundation-models", headers=bearer(keys["all"])).status_code == 200


def test_revoked_and_unknown_keys_are_unrecognized(locked_server, keys):
    for secret in (keys["revoked"], "outcrop_guess"):
        response = httpx.get(f"{locked_server.url}/v1/models", headers=bearer(secret))
        assert (response.status_code, error_type(response)) == (403, "UnrecognizedClientException")


def test_a_key_is_limited_to_its_actions_and_models(locked_server, keys):
    approve = httpx.post(f"{locked_server.url}/v1/review/assets/x/approve", headers=bearer(keys["reader"]),
                         json={"reviewer": "me"})  # fmt: skip
    assert approve.status_code == 403 and "may not use review" in approve.json()["message"]
    other_model = httpx.post(f"{locked_server.url}/model/amazon.nova-canvas-v1%3A0/invoke",
                             headers=bearer(keys["reader"]), content=b"{}")  # fmt: skip
    assert other_model.status_code == 403 and "may not use model amazon.nova-canvas-v1:0" in other_model.text
    allowed = httpx.post(f"{locked_server.url}/model/amazon.titan-embed-text-v2%3A0/invoke",
                         headers=bearer(keys["reader"]), content=b'{"nope": 1}')  # fmt: skip
    assert allowed.status_code == 400  # past the gate, refused by validation


def test_a_model_limited_key_must_name_the_model_on_routes_with_a_default(locked_server, keys):
    for path, body in (("/v1/images/generate", {"prompt": "a lamp"}), ("/v1/chat", {"messages": []}),
                       ("/v1/embeddings", {"text": "hello"})):  # fmt: skip
        defaulted = httpx.post(f"{locked_server.url}{path}", headers=bearer(keys["reader"]), json=body)
        assert defaulted.status_code == 403, (path, defaulted.text)
        assert "name the model in the body's modelId" in defaulted.json()["message"]
    named = httpx.post(f"{locked_server.url}/v1/embeddings", headers=bearer(keys["reader"]),
                       json={"modelId": "amazon.titan-embed-text-v2:0"})  # fmt: skip
    assert named.status_code == 400, named.text  # past the gate with a model the key may use (no text: refused)
    anything = httpx.post(f"{locked_server.url}/v1/images/generate", headers=bearer(keys["all"]), json={"prompt": ""})
    assert anything.status_code == 400  # an unrestricted key may rely on the default (refused later: empty prompt)


def test_rate_quota_answers_429_with_retry_after(locked_server, keys):
    answers = [httpx.get(f"{locked_server.url}/v1/models", headers=bearer(keys["limited"])) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert error_type(answers[2]) == "ThrottlingException"
    assert int(answers[2].headers["Retry-After"]) >= 1


# --- the web UI ----------------------------------------------------------------------------------------------


def test_ui_session_cookie_is_secure_behind_a_local_tls_proxy(locked_server, keys):
    """uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (FORWARDED_ALLOW_IPS), so the cookie is Secure behind nginx."""
    proxied = httpx.post(f"{locked_server.url}/ui/session", json={"apiKey": keys["all"]},
                         headers={"X-Forwarded-Proto": "https"})  # fmt: skip
    assert "secure" in proxied.headers["set-cookie"].lower()
    direct = httpx.post(f"{locked_server.url}/ui/session", json={"apiKey": keys["all"]})
    assert "secure" not in direct.headers["set-cookie"].lower()  # plain HTTP on loopback: a Secure cookie would vanish


def test_ui_session_cookie_with_csrf(locked_server, keys):
    with httpx.Client(base_url=locked_server.url) as browser:
        assert browser.get("/ui/session").json()["signedIn"] is False
        assert browser.post("/ui/session", json={"apiKey": "wrong"}).status_code == 403
        signed_in = browser.post("/ui/session", json={"apiKey": keys["all"]})
        cookie = signed_in.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        csrf = signed_in.json()["csrfToken"]
        assert browser.get("/ui/session").json()["name"] == "all-actions"
        assert browser.get("/v1/models").status_code == 200
        forged = browser.post("/v1/review/assets/nope/approve", json={"reviewer": "me"})
        assert forged.status_code == 403 and "CSRF" in forged.json()["message"]
        with_token = browser.post("/v1/review/assets/nope/approve", json={"reviewer": "me"},
                                  headers={"X-CSRF-Token": csrf})  # fmt: skip
        assert with_token.status_code == 404
        assert browser.request("DELETE", "/ui/session", headers={"X-CSRF-Token": csrf}).status_code == 200
        assert browser.get("/v1/models").status_code == 403


# --- bounded bodies ------------------------------------------------------------------------------------------


def test_oversized_bodies_get_413_before_buffering(locked_server, keys):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    chunk = b"x" * 1_000_000

    def sixty_megabytes():
        for _ in range(60):
            yield chunk

    for path in ("/v1/embeddings", "/model/amazon.nova-canvas-v1%3A0/invoke", "/ui/session"):
        declared = httpx.post(locked_server.url + path, content=b"x" * 60_000_000, headers=bearer(keys["all"]))
        assert (declared.status_code, error_type(declared)) == (413, "ValidationException")
        chunked = httpx.post(locked_server.url + path, content=sixty_megabytes(), headers=bearer(keys["all"]))
        assert chunked.status_code == 413
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert peak < 2 * 1024**3, f"peak RSS {peak:,} (was {before:,} before the oversized bodies)"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"modelId": "x", "temperature": NaN}', "NaN, which is not a JSON number"),
        (b'{"a": Infinity}', "Infinity, which is not a JSON number"),
        (b"[" * 1000 + b"]" * 1000, "nests deeper than 64 levels"),
        (b'{"text": "\\ud800"}', "unpaired UTF-16 surrogate"),
    ],
)
def test_bad_json_is_a_typed_400_on_every_door(locked_server, keys, body, message):
    for path in ("/v1/chat", "/model/amazon.nova-canvas-v1%3A0/invoke"):
        response = httpx.post(locked_server.url + path, content=body, headers=bearer(keys["all"]))
        assert (response.status_code, error_type(response)) == (400, "ValidationException")
        assert message in response.json()["message"]


def test_review_decisions_record_the_key(locked_server, keys):
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a mug"},
            "imageGenerationConfig": {"width": 320, "height": 320, "seed": 3}}  # fmt: skip
    locked_server.client("bedrock-runtime").invoke_model(modelId=CANVAS, body=json.dumps(body))
    pending = httpx.get(f"{locked_server.url}/v1/review/assets?status=pending", headers=bearer(keys["all"]))
    asset_id = pending.json()["assets"][0]["id"]
    approved = httpx.post(f"{locked_server.url}/v1/review/assets/{asset_id}/approve", headers=bearer(keys["all"]),
                          json={"reviewer": "ana"})  # fmt: skip
    assert approved.status_code == 200, approved.text
    audit = httpx.get(f"{locked_server.url}/v1/review/audit?asset_id={asset_id}", headers=bearer(keys["all"]))
    decision = [entry for entry in audit.json()["entries"] if entry["action"] == "approve"]
    assert decision[0]["actor"] == "ana" and decision[0]["details"]["identity"] == "api-key:all-actions"


def test_output_uris_outside_the_boundaries_are_refused(locked_server, keys):
    runtime = locked_server.client("bedrock-runtime")
    reel = {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "a drone shot"},
            "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": 1}}  # fmt: skip
    with pytest.raises(runtime.exceptions.AccessDeniedException) as caught:
        runtime.start_async_invoke(modelId="amazon.nova-reel-v1:0", modelInput=reel,
                                   outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://someone-elses-bucket/x"}})  # fmt: skip
    assert "OUTCROP_ALLOWED_BUCKETS" in caught.value.response["Error"]["Message"]
    native = httpx.post(f"{locked_server.url}/v1/video/jobs", headers=bearer(keys["all"]),
                        json={"modelId": "amazon.nova-reel-v1:0", "modelInput": reel, "outputUri": "file:///etc/x"})  # fmt: skip
    assert (native.status_code, error_type(native)) == (403, "AccessDeniedException"), native.text
