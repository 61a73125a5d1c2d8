"""langchain-aws against a live tiny-profile server: ChatBedrockConverse (invoke, stream) and BedrockEmbeddings
answer what plain boto3 answers for the same request, configured either by arguments or by the environment."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError
from langchain_aws import BedrockEmbeddings, ChatBedrockConverse
from langchain_core.messages import HumanMessage, SystemMessage

from integrations.reference import CHAT_MODEL, MAX_TOKENS, PROMPT, SYSTEM
from support.live_server import LiveServer

MESSAGES = [SystemMessage(SYSTEM), HumanMessage(PROMPT)]


def chat(server: LiveServer | None, model: str = CHAT_MODEL) -> ChatBedrockConverse:
    where = {"endpoint_url": server.url} if server else {}
    return ChatBedrockConverse(model=model, region_name="us-east-1", temperature=0.0, max_tokens=MAX_TOKENS, **where)


def text_of(content: str | list[Any]) -> str:
    """A message's text: LangChain gives a string, or a list of content blocks when streaming."""
    if isinstance(content, str):
        return content
    return "".join(block["text"] for block in content if isinstance(block, dict) and block.get("type") == "text")


def test_invoke_answers_what_converse_answers(tiny_server, converse_text):
    reply = chat(tiny_server).invoke(MESSAGES)
    expected = converse_text()
    assert text_of(reply.content) == expected["output"]["message"]["content"][0]["text"]
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["input_tokens"] == expected["usage"]["inputTokens"]
    assert reply.usage_metadata["output_tokens"] == expected["usage"]["outputTokens"]


def test_stream_yields_text_in_pieces_that_add_up(tiny_server, converse_text):
    pieces = [text_of(chunk.content) for chunk in chat(tiny_server).stream(MESSAGES)]
    texts = [piece for piece in pieces if piece]
    assert len(texts) > 1  # streamed, not one block at the end
    assert "".join(texts) == converse_text()["output"]["message"]["content"][0]["text"]


def test_the_environment_alone_points_it_at_the_server(tiny_server, converse_text, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", tiny_server.url)  # boto3 reads it; so does langchain-aws
    reply = chat(None).invoke(MESSAGES)
    assert text_of(reply.content) == converse_text()["output"]["message"]["content"][0]["text"]
    vector = BedrockEmbeddings(model_id="amazon.titan-embed-text-v2:0", region_name="us-east-1").embed_query("a mug")
    assert len(vector) == 1024


def test_what_the_server_cannot_do_is_a_typed_400(tiny_server):
    def double(x: int) -> int:
        """Double x."""
        return 2 * x

    with pytest.raises(ClientError) as refused:
        chat(tiny_server).bind_tools([double]).invoke("double 2")
    error = refused.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "toolConfig" in error["Error"]["Message"]


@pytest.mark.parametrize("model_id", ["amazon.titan-embed-text-v2:0", "amazon.titan-embed-image-v1"])
def test_embeddings_match_invoke_model(tiny_server, direct_embedding, model_id):
    embeddings = BedrockEmbeddings(model_id=model_id, endpoint_url=tiny_server.url, region_name="us-east-1")
    texts = ["a red ceramic mug", "running shoes"]
    documents = embeddings.embed_documents(texts)
    query = embeddings.embed_query(texts[0])
    expected = [direct_embedding(model_id, {"inputText": text}) for text in texts]
    assert [len(vector) for vector in documents] == [1024, 1024]
    np.testing.assert_allclose(documents, expected, atol=1e-6)
    np.testing.assert_allclose(query, expected[0], atol=1e-6)
    assert not np.allclose(documents[0], documents[1])  # two texts, two vectors
