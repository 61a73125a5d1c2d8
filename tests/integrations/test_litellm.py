"""LiteLLM's Bedrock provider against a live tiny-profile server: completion (Converse and InvokeModel routes,
streamed or not), embedding (Titan Text v2, Titan Multimodal with text and images) and image_generation (Nova
Canvas, Titan Image), each compared with what plain boto3 answers, configured by arguments or the environment."""

from __future__ import annotations

import base64
import io
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from integrations.reference import CHAT_MODEL, MAX_TOKENS, PROMPT, SYSTEM
from outcrop.safety import watermark
from support.images import png_b64
from support.live_server import LiveServer

# LiteLLM's own types trip a pydantic warning while it builds stream chunks; the suite turns warnings into errors
pytestmark = pytest.mark.filterwarnings("ignore:Item .* is using the `ReadOnly` qualifier:UserWarning")
MESSAGES = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]


@pytest.fixture(scope="module")
def litellm() -> ModuleType:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # read at import: otherwise it fetches prices online
        import litellm

    litellm.suppress_debug_info = True
    return litellm


def endpoint(server: LiveServer) -> dict[str, Any]:
    return {"aws_bedrock_runtime_endpoint": server.url, "num_retries": 0}


@pytest.mark.parametrize("route", ["bedrock/", "bedrock/converse/", "bedrock/invoke/"])
def test_completion_answers_what_converse_answers(litellm, tiny_server, converse_text, route):
    reply = litellm.completion(model=route + CHAT_MODEL, messages=MESSAGES, temperature=0.0, max_tokens=MAX_TOKENS,
                               **endpoint(tiny_server))  # fmt: skip
    expected = converse_text()
    assert reply.choices[0].message.content == expected["output"]["message"]["content"][0]["text"]
    assert reply.usage.completion_tokens == expected["usage"]["outputTokens"]


@pytest.mark.parametrize("route", ["bedrock/", "bedrock/invoke/"])
def test_streamed_completion_adds_up(litellm, tiny_server, converse_text, route):
    chunks = litellm.completion(model=route + CHAT_MODEL, messages=MESSAGES, temperature=0.0, max_tokens=MAX_TOKENS,
                                stream=True, **endpoint(tiny_server))  # fmt: skip
    texts = [chunk.choices[0].delta.content for chunk in chunks if chunk.choices[0].delta.content]
    assert len(texts) > 1
    assert "".join(texts) == converse_text()["output"]["message"]["content"][0]["text"]


def test_the_environment_alone_points_it_at_the_server(litellm, tiny_server, converse_text, monkeypatch):
    monkeypatch.setenv("AWS_BEDROCK_RUNTIME_ENDPOINT", tiny_server.url)  # LiteLLM's variable, not boto3's
    reply = litellm.completion(model="bedrock/" + CHAT_MODEL, messages=MESSAGES, temperature=0.0,
                               max_tokens=MAX_TOKENS, num_retries=0)  # fmt: skip
    assert reply.choices[0].message.content == converse_text()["output"]["message"]["content"][0]["text"]


def test_text_embeddings_with_dimensions(litellm, tiny_server, direct_embedding):
    texts = ["a red ceramic mug", "running shoes"]
    reply = litellm.embedding(model="bedrock/amazon.titan-embed-text-v2:0", input=texts, dimensions=256,
                              **endpoint(tiny_server))  # fmt: skip
    vectors = [item["embedding"] for item in reply.data]
    expected = [direct_embedding("amazon.titan-embed-text-v2:0", {"inputText": t, "dimensions": 256}) for t in texts]
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    assert [len(vector) for vector in vectors] == [256, 256]


def test_multimodal_embeddings_of_text_and_of_an_image(litellm, tiny_server, direct_embedding):
    photo = png_b64(64, 64, (200, 30, 30))
    model = "bedrock/amazon.titan-embed-image-v1"
    text = litellm.embedding(model=model, input=["a red mug"], **endpoint(tiny_server)).data[0]["embedding"]
    image = litellm.embedding(model=model, input=[f"data:image/png;base64,{photo}"],
                              **endpoint(tiny_server)).data[0]["embedding"]  # fmt: skip
    np.testing.assert_allclose(text, direct_embedding("amazon.titan-embed-image-v1", {"inputText": "a red mug"}),
                               atol=1e-6)  # fmt: skip
    np.testing.assert_allclose(image, direct_embedding("amazon.titan-embed-image-v1", {"inputImage": photo}),
                               atol=1e-6)  # fmt: skip


@pytest.mark.parametrize(
    ("model", "options", "size"),
    [("amazon.nova-canvas-v1:0", {"size": "512x320"}, (512, 320)),
     ("amazon.titan-image-generator-v2:0", {"size": "512x512"}, (512, 512)),
     ("amazon.titan-image-generator-v1", {}, (1024, 1024))],
)  # fmt: skip
def test_image_generation_maps_onto_the_image_bodies(litellm, tiny_server, model, options, size):
    reply = litellm.image_generation(model="bedrock/" + model, prompt="a red ceramic mug", **options,
                                     **endpoint(tiny_server))  # fmt: skip
    [item] = reply.data
    image = Image.open(io.BytesIO(base64.b64decode(item.b64_json)))
    assert (image.format, image.size) == ("PNG", size)
    assert watermark.detect(image).watermarked  # made by Outcrop


def test_a_refused_request_is_a_bad_request_saying_what_to_send(litellm, tiny_server):
    with pytest.raises(litellm.BadRequestError, match="multiple of 16") as refused:
        litellm.image_generation(model="bedrock/amazon.nova-canvas-v1:0", prompt="a mug", size="500x500",
                                 **endpoint(tiny_server))  # fmt: skip
    assert refused.value.status_code == 400
    assert "ValidationException" in str(refused.value)
