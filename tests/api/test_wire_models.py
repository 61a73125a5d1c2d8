"""Real models through the unmodified Bedrock clients: background removal of a real photo, Converse, AWS CLI."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import skimage.data
from PIL import Image

# Points picked by looking at scikit-image's coffee photo (600x400): on the cup and saucer, and on the table.
COFFEE_OBJECT = [(290, 140), (130, 300), (365, 280)]
COFFEE_BACKGROUND = [(550, 50), (30, 380), (20, 20), (560, 350)]


def b64_png(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def isnet_installed(pulled):
    pulled("isnet-general-small")


@pytest.mark.slow
@pytest.mark.parametrize("model_id", ["amazon.nova-canvas-v1:0", "amazon.titan-image-generator-v2:0"])
def test_background_removal_of_a_real_photo(runtime, isnet_installed, model_id):
    body = {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": b64_png(skimage.data.coffee())}}
    response = runtime.invoke_model(
        modelId=model_id, body=json.dumps(body), contentType="application/json", accept="application/json"
    )
    reply = json.loads(response["body"].read())
    assert reply["error"] is None
    assert len(reply["images"]) == 1
    cutout = Image.open(io.BytesIO(base64.b64decode(reply["images"][0])))
    assert cutout.format == "PNG"
    assert cutout.mode == "RGBA"
    assert cutout.size == (600, 400)
    alpha = np.asarray(cutout.getchannel("A"))
    assert all(alpha[y, x] > 0.8 * 255 for x, y in COFFEE_OBJECT)
    assert all(alpha[y, x] < 0.2 * 255 for x, y in COFFEE_BACKGROUND)


def test_missing_weights_answer_access_denied_with_pull_command(tmp_path_factory):
    """A model whose weights are not installed never answers with anything but the way to install them."""
    from support.live_server import start_server

    empty = tmp_path_factory.mktemp("no-models")
    with start_server(home=empty, models_dir=empty / "models", profile="default") as server:
        runtime = server.client("bedrock-runtime")
        body = {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": b64_png(skimage.data.coffee())}}
        with pytest.raises(runtime.exceptions.AccessDeniedException) as caught:
            runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=json.dumps(body))
        assert "outcrop models pull isnet-general-medium" in caught.value.response["Error"]["Message"]


def test_converse_on_the_tiny_model(runtime):
    reply = runtime.converse(
        modelId="amazon.nova-lite-v1:0",
        system=[{"text": "You write catalogue copy."}],
        messages=[{"role": "user", "content": [{"text": "Describe a mug."}]}],
        inferenceConfig={"maxTokens": 12, "temperature": 0.0},
    )
    assert reply["output"]["message"]["role"] == "assistant"
    assert reply["output"]["message"]["content"][0]["text"]
    usage = reply["usage"]
    assert usage["inputTokens"] > 0
    assert 0 < usage["outputTokens"] <= 12
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert reply["stopReason"] in {"end_turn", "max_tokens"}
    assert reply["metrics"]["latencyMs"] >= 0


def test_native_text_invoke_model(runtime):
    body = {"schemaVersion": "messages-v1", "messages": [{"role": "user", "content": [{"text": "hi"}]}],
            "inferenceConfig": {"maxTokens": 5, "temperature": 0}}  # fmt: skip
    response = runtime.invoke_model(modelId="us.amazon.nova-micro-v1:0", body=json.dumps(body))
    reply = json.loads(response["body"].read())
    assert reply["output"]["message"]["content"][0]["text"]
    assert reply["usage"]["outputTokens"] <= 5
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-output-token-count"]) == reply["usage"]["outputTokens"]


@pytest.mark.slow
def test_workshop_product_copy_step_with_real_smollm2(tmp_path_factory, pulled):
    """The workshop's first step (an LLM writes product descriptions) with real weights, via the default profile."""
    from support.live_server import start_server

    models = pulled("smollm2-135m-instruct").parent
    home = tmp_path_factory.mktemp("smollm2-home")
    with start_server(home=home, models_dir=models, profile="default", torch_threads=1) as server:
        reply = server.client("bedrock-runtime").converse(
            modelId="amazon.nova-micro-v1:0",
            system=[{"text": "You write catalogue copy."}],
            messages=[{"role": "user", "content": [{"text": (
                "Describe these three products for our catalogue, as a bullet list with one '- ' item per product: "
                "a steel water bottle, a canvas tote bag, a bamboo cutting board."
            )}]}],
            inferenceConfig={"maxTokens": 80, "temperature": 0.0},
        )  # fmt: skip
    text = reply["output"]["message"]["content"][0]["text"]
    assert any(word in text.lower() for word in ("bottle", "tote", "bamboo"))
    assert reply["usage"]["outputTokens"] > 0


def test_aws_cli_invoke_model(tiny_server, tmp_path):
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"messages": [{"role": "user", "content": [{"text": "hello"}]}],
                                   "inferenceConfig": {"maxTokens": 4}}))  # fmt: skip
    out = tmp_path / "out.json"
    env = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1",
           "PATH": os.environ["PATH"], "HOME": str(tmp_path)}  # fmt: skip
    command = [sys.executable, "-m", "awscli", "bedrock-runtime", "invoke-model", "--endpoint-url", tiny_server.url,
               "--model-id", "amazon.nova-micro-v1:0", "--body", f"fileb://{request}", str(out)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["contentType"] == "application/json"
    assert json.loads(out.read_text())["usage"]["outputTokens"] > 0


def test_aws_cli_reports_validation_errors(tiny_server, tmp_path):
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": ""}}))
    env = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1",
           "PATH": os.environ["PATH"], "HOME": str(tmp_path)}  # fmt: skip
    command = [sys.executable, "-m", "awscli", "bedrock-runtime", "invoke-model", "--endpoint-url", tiny_server.url,
               "--model-id", "amazon.nova-canvas-v1:0", "--body", f"fileb://{request}", str(tmp_path / "o.json")]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode != 0
    assert "ValidationException" in result.stderr
    assert "expected minLength: 1" in result.stderr


def test_rai_blocked_prompt_is_a_validation_exception(runtime):
    """The Canvas lab's check: a protected character in the prompt -> ValidationException, Bedrock's exact text."""
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "Mickey Mouse surfing a wave"}}
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=json.dumps(body))
    assert caught.value.response["Error"]["Message"] == (
        "This request has been blocked by our content filters. Please adjust your text prompt to submit a new request."
    )


@pytest.mark.slow
def test_generated_images_carry_the_invisible_watermark(runtime, isnet_installed):
    from outcrop.safety import watermark

    body = {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": b64_png(skimage.data.coffee())}}
    reply = json.loads(runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=json.dumps(body))["body"].read())
    cutout = Image.open(io.BytesIO(base64.b64decode(reply["images"][0])))
    assert watermark.detect(cutout).watermarked
    assert not watermark.detect(Image.fromarray(skimage.data.coffee())).watermarked
