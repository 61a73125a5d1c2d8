"""The Bedrock wire through real boto3 clients against a live server: routing, errors, control plane."""

from __future__ import annotations

import json

import httpx
import pytest
from botocore.exceptions import ClientError

from support.images import png_b64
from support.live_server import start_server


def test_health(tiny_server):
    response = httpx.get(f"{tiny_server.url}/health")
    assert response.status_code == 200
    assert response.json()["profile"] == "tiny"


def test_unknown_model_is_validation_exception(runtime):
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId="amazon.not-a-model-v9:0", body=json.dumps({"inputText": "x"}))
    assert caught.value.response["Error"]["Message"] == "The provided model identifier is invalid."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_model_arn_and_profile_ids_route_on_raw_path(runtime):
    """ARNs carry %2F; routing must not split them. Both reach body validation (not a 404)."""
    for model_id in (
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0",
        "us.amazon.nova-canvas-v1:0",
    ):
        with pytest.raises(runtime.exceptions.ValidationException) as caught:
            runtime.invoke_model(modelId=model_id, body=json.dumps({"taskType": "NOPE"}))
        assert "taskType" in caught.value.response["Error"]["Message"]


def test_error_envelope_has_header_and_type(tiny_server):
    response = httpx.post(f"{tiny_server.url}/model/amazon.nova-canvas-v1%3A0/invoke", content=b"{not json", timeout=10)
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "ValidationException"
    assert response.json()["__type"] == "ValidationException"
    assert response.json()["message"].startswith("Malformed input request: ")
    assert response.headers["x-amzn-RequestId"]


def test_unbound_task_answers_access_denied_naming_the_catalog(tmp_path, models_dir):
    # Every built-in (model, task) pair is bound; a user's catalog can add a model id that binds nothing.
    home = tmp_path / "home"
    home.mkdir()
    (home / "catalog.toml").write_text(
        '[models."outcrop.unbound-canvas-v1"]\nname = "Unbound"\nfamily = "nova-canvas"\n'
        'input_modalities = ["TEXT"]\noutput_modalities = ["IMAGE"]\n'
    )
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a mug"}}
    with start_server(home=home, models_dir=models_dir, profile="tiny") as server:
        client = server.client("bedrock-runtime")
        with pytest.raises(client.exceptions.AccessDeniedException) as caught:
            client.invoke_model(modelId="outcrop.unbound-canvas-v1", body=json.dumps(body))
    assert "catalog.toml" in caught.value.response["Error"]["Message"]


def test_reel_refuses_invoke_model(runtime):
    body = {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "a drone shot"}}
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId="amazon.nova-reel-v1:0", body=json.dumps(body))
    assert "StartAsyncInvoke" in caught.value.response["Error"]["Message"]


def test_body_over_25mb_is_refused_before_parsing(tiny_server):
    big = b'{"inputText": "' + b"a" * 25_000_001 + b'"}'
    response = httpx.post(f"{tiny_server.url}/model/amazon.titan-embed-image-v1/invoke", content=big, timeout=30)
    assert (response.status_code, response.json()["__type"]) == (413, "ValidationException")
    assert "25,000,000" in response.json()["message"]


def test_large_body_under_limit_is_accepted(runtime):
    """A 2048x2048 canvas base64 body (several MB) passes the transport and reaches validation."""
    image = png_b64(2048, 2048, (10, 200, 30))
    body = {"taskType": "OUTPAINTING", "outPaintingParams": {"image": image, "text": "a beach"}}
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=json.dumps(body))
    assert "exactly one of maskPrompt or maskImage" in caught.value.response["Error"]["Message"]


def test_list_and_get_foundation_models(tiny_server):
    bedrock = tiny_server.client("bedrock")
    summaries = bedrock.list_foundation_models()["modelSummaries"]
    ids = {s["modelId"] for s in summaries}
    assert {"amazon.nova-canvas-v1:0", "amazon.titan-embed-image-v1", "amazon.nova-reel-v1:0"} <= ids
    images = bedrock.list_foundation_models(byOutputModality="IMAGE")["modelSummaries"]
    assert all("IMAGE" in s["outputModalities"] for s in images)
    details = bedrock.get_foundation_model(modelIdentifier="amazon.titan-image-generator-v1")["modelDetails"]
    assert details["modelLifecycle"]["status"] == "LEGACY"
    assert details["modelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-image-generator-v1"


@pytest.mark.parametrize(
    ("model_id", "end_of_life"),
    [("amazon.nova-canvas-v1:0", "2026-09-30"), ("amazon.nova-reel-v1:1", "2026-09-30"),
     ("amazon.titan-image-generator-v2:0", "2026-06-30")],
)  # fmt: skip
def test_retired_models_show_legacy_with_their_end_of_life(tiny_server, model_id, end_of_life):
    bedrock = tiny_server.client("bedrock")
    lifecycle = bedrock.get_foundation_model(modelIdentifier=model_id)["modelDetails"]["modelLifecycle"]
    assert lifecycle["status"] == "LEGACY"
    assert lifecycle["endOfLifeTime"].date().isoformat() == end_of_life  # botocore parses the timestamp


def test_get_foundation_model_unknown(tiny_server):
    bedrock = tiny_server.client("bedrock")
    with pytest.raises(ClientError) as caught:
        bedrock.get_foundation_model(modelIdentifier="amazon.nope-v1")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_docs_and_redoc_reference_no_other_host(tiny_server):
    """Swagger UI and ReDoc come from assets bundled with the server: the pages work without internet."""
    import re

    import httpx

    for page in ("/docs", "/redoc"):
        html = httpx.get(tiny_server.url + page, timeout=30).text
        assert not re.findall(r"https?://", html), page
        for asset in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', html):
            assert httpx.get(tiny_server.url + asset, timeout=30).status_code == 200, asset
    assert "docs-assets/swagger-ui-bundle.js" in httpx.get(tiny_server.url + "/docs", timeout=30).text
