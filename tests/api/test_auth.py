"""With access keys configured, SigV4 signatures are verified on every Bedrock route."""

from __future__ import annotations

import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from support.live_server import TEST_KEY, TEST_SECRET, start_server


@pytest.fixture(scope="module")
def locked_server(tmp_path_factory, models_dir):
    home = tmp_path_factory.mktemp("auth-home")
    with start_server(
        home=home, models_dir=models_dir, profile="tiny", access_key_id=TEST_KEY, secret_access_key=TEST_SECRET
    ) as server:
        yield server


def test_correct_signature_passes(locked_server):
    bedrock = locked_server.client("bedrock")
    assert bedrock.list_foundation_models()["modelSummaries"]


def test_wrong_secret_is_access_denied(locked_server):
    runtime = locked_server.client("bedrock-runtime", secret="not-the-secret")
    with pytest.raises(runtime.exceptions.AccessDeniedException) as caught:
        runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=b"{}")
    assert "signature we calculated does not match" in caught.value.response["Error"]["Message"]


def test_unknown_key_is_access_denied(locked_server):
    runtime = locked_server.client("bedrock-runtime", key="AKIDUNKNOWN")
    with pytest.raises(runtime.exceptions.AccessDeniedException):
        runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=b"{}")


def test_unsigned_request_is_access_denied(locked_server):
    unsigned = Config(signature_version=UNSIGNED, retries={"max_attempts": 1})
    runtime = locked_server.client("bedrock-runtime", config=unsigned)
    with pytest.raises(runtime.exceptions.AccessDeniedException):
        runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=b"{}")


def test_health_needs_no_signature(locked_server):
    assert httpx.get(f"{locked_server.url}/health").status_code == 200


def test_signed_request_reaches_validation(locked_server):
    """A good signature over a percent-encoded model id path verifies, and the body is then validated."""
    runtime = locked_server.client("bedrock-runtime")
    with pytest.raises(runtime.exceptions.ValidationException):
        runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=b'{"taskType": "NOPE"}')
