"""ConverseStream and InvokeModelWithResponseStream through unmodified boto3 (AWS event-stream framing), on the
tiny profile's seeded chat model: the deltas add up to what Converse answers for the same request."""

from __future__ import annotations

import json
import struct
import zlib

import pytest

from outcrop.api.bedrock import event_stream

MODEL = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Write one line about a teal mug."}]}]
GREEDY = {"temperature": 0.0, "maxTokens": 40}


def test_converse_stream_matches_converse(runtime):
    events = list(runtime.converse_stream(modelId=MODEL, messages=MESSAGES, inferenceConfig=GREEDY)["stream"])
    kinds = [next(iter(event)) for event in events]
    assert kinds[0] == "messageStart" and kinds[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert set(kinds[1:-3]) == {"contentBlockDelta"}
    streamed = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    whole = runtime.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig=GREEDY)
    assert streamed == whole["output"]["message"]["content"][0]["text"]
    assert events[-2]["messageStop"]["stopReason"] == whole["stopReason"]
    assert events[-1]["metadata"]["usage"] == whole["usage"]


def test_stop_sequences_never_reach_the_stream(runtime):
    whole = runtime.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig=GREEDY)["output"]["message"]
    text = whole["content"][0]["text"]
    stop = text[len(text) // 2 : len(text) // 2 + 3]
    assert len(stop) == 3
    config = {**GREEDY, "stopSequences": [stop]}
    events = list(runtime.converse_stream(modelId=MODEL, messages=MESSAGES, inferenceConfig=config)["stream"])
    streamed = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert stop not in streamed
    assert events[-2]["messageStop"]["stopReason"] == "stop_sequence"


def test_invoke_with_response_stream_sends_nova_chunks(runtime):
    body = {
        "schemaVersion": "messages-v1",
        "messages": MESSAGES,
        "inferenceConfig": {"temperature": 0.0, "maxTokens": 40},
    }
    reply = runtime.invoke_model_with_response_stream(modelId=MODEL, body=json.dumps(body))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in reply["body"]]
    assert next(iter(chunks[0])) == "messageStart"
    assert next(iter(chunks[-2])) == "messageStop"
    streamed = "".join(c["contentBlockDelta"]["delta"]["text"] for c in chunks if "contentBlockDelta" in c)
    whole = runtime.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig=GREEDY)
    assert streamed == whole["output"]["message"]["content"][0]["text"]


def test_streaming_a_model_that_does_not_stream_is_a_validation_error(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="unsupported for streaming"):
        runtime.converse_stream(modelId="amazon.titan-embed-image-v1", messages=MESSAGES)


def test_bad_conversations_are_refused_before_the_stream_starts(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="start with a user message"):
        runtime.converse_stream(modelId=MODEL, messages=[{"role": "assistant", "content": [{"text": "hi"}]}])


def test_event_stream_frames_carry_valid_crcs():
    frame = event_stream.event("contentBlockDelta", {"delta": {"text": "hé"}})
    total, headers = struct.unpack("!II", frame[:8])
    assert total == len(frame)
    assert struct.unpack("!I", frame[8:12])[0] == zlib.crc32(frame[:8])
    assert struct.unpack("!I", frame[-4:])[0] == zlib.crc32(frame[:-4])
    assert json.loads(frame[12 + headers : -4]) == {"delta": {"text": "hé"}}
