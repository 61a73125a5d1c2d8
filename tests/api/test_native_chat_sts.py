"""POST /v1/chat through the SDK, and STS GetCallerIdentity through boto3 (the Reel lab's first call)."""

from __future__ import annotations

import pytest

from outcrop.sdk import Client, OutcropAPIError
from support.live_server import LiveServer


def test_sdk_chat_answers_with_text_and_token_counts(tiny_server: LiveServer) -> None:
    with Client(tiny_server.url) as client:
        reply = client.chat.create("Describe a mug.", system=["You write catalogue copy."], maxTokens=8, seed=1)
        again = client.chat.create("Describe a mug.", system=["You write catalogue copy."], maxTokens=8, seed=1)
    assert reply.model_id == "amazon.nova-lite-v1:0"
    assert reply.text and reply.text == again.text  # seeded: the same answer twice
    assert reply.input_tokens > 0 and 0 < reply.output_tokens <= 8


def test_sdk_chat_validates_like_converse(tiny_server: LiveServer) -> None:
    with Client(tiny_server.url) as client, pytest.raises(OutcropAPIError) as caught:
        client.chat.create([{"role": "assistant", "text": "hi"}])
    assert caught.value.code == "ValidationException"


def test_sts_get_caller_identity(tiny_server: LiveServer) -> None:
    identity = tiny_server.client("sts").get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:iam::123456789012:user/local"


def test_cli_chat_prints_the_answer(tiny_server: LiveServer) -> None:
    import json

    from click.testing import CliRunner

    from outcrop.cli.main import cli

    result = CliRunner().invoke(cli, ["--url", tiny_server.url, "chat", "Describe a mug.", "--max-tokens", "5",
                                      "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    reply = json.loads(result.output.strip().splitlines()[-1])
    assert reply["text"] and reply["usage"]["outputTokens"] <= 5
