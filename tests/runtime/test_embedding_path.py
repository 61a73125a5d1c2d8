"""Embeddings on the wire: output lengths, Nova 2 shape, the persistent cache, batching in the executor."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from support import double_embedder
from support.images import png_b64


def titan(client, **body):
    response = client.invoke_model(modelId="amazon.titan-embed-image-v1", body=json.dumps(body))
    return json.loads(response["body"].read())


def test_lengths_and_token_count(double_server):
    client = double_server.client("bedrock-runtime")
    for length in (256, 384, 1024):
        reply = titan(client, inputText="red suede sneaker", embeddingConfig={"outputEmbeddingLength": length})
        assert len(reply["embedding"]) == length
        assert abs(np.linalg.norm(reply["embedding"]) - 1) < 1e-5
        assert reply["inputTextTokenCount"] == 3
    image_only = titan(client, inputImage=png_b64(64, 64, (1, 2, 3)))
    assert image_only["inputTextTokenCount"] == 0


def test_nova_2_response_shape(double_server):
    client = double_server.client("bedrock-runtime")
    body = {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
        "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 3072,
        "image": {"format": "png", "detailLevel": "STANDARD_IMAGE", "source": {"bytes": png_b64(64, 64)}}}}  # fmt: skip
    reply = json.loads(
        client.invoke_model(modelId="amazon.nova-2-multimodal-embeddings-v1:0", body=json.dumps(body))["body"].read()
    )
    assert reply["embeddings"][0]["embeddingType"] == "IMAGE"
    assert len(reply["embeddings"][0]["embedding"]) == 3072


def test_repeated_image_costs_no_model_call(double_server):
    client = double_server.client("bedrock-runtime")
    image = png_b64(80, 80, (9, 99, 199))
    before = sum(double_embedder.CALLS)
    first = titan(client, inputImage=image)
    second = titan(client, inputImage=image)
    assert first["embedding"] == second["embedding"]
    assert sum(double_embedder.CALLS) == before + 1
    cache = double_server.server.config.app.state.outcrop.embedder.cache
    assert cache.stats.hits >= 1


def test_every_output_length_of_one_input_costs_one_model_call(double_server):
    """The cache keeps the full-length vector and derives each length: 256, 384 and 1024 after one call."""
    client = double_server.client("bedrock-runtime")
    before = sum(double_embedder.CALLS)
    replies = [titan(client, inputText="teal ceramic vase", embeddingConfig={"outputEmbeddingLength": n})
               for n in (1024, 256, 384)]  # fmt: skip
    assert sum(double_embedder.CALLS) == before + 1
    full, short = np.array(replies[0]["embedding"]), np.array(replies[1]["embedding"])
    assert [len(r["embedding"]) for r in replies] == [1024, 256, 384]
    assert abs(np.linalg.norm(short) - 1) < 1e-5
    assert np.count_nonzero(full[64:]) == 1024 - 64  # the test double is 64-d: spread, not padded
    np.testing.assert_allclose(titan(client, inputText="teal ceramic vase",
                                     embeddingConfig={"outputEmbeddingLength": 256})["embedding"], short, atol=1e-7)  # fmt: skip


def test_concurrent_requests_are_batched(double_server):
    client = double_server.client("bedrock-runtime")
    double_embedder.CALLS.clear()
    texts = [f"product number {i}" for i in range(24)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(lambda t: titan(client, inputText=t), texts))
    assert len({tuple(r["embedding"]) for r in replies}) == 24
    assert sum(double_embedder.CALLS) == 24
    assert max(double_embedder.CALLS) > 1, double_embedder.CALLS
