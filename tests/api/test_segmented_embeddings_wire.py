"""Nova 2 Multimodal Embeddings SEGMENTED_EMBEDDING through StartAsyncInvoke: a long text becomes one embedding per
segment, written as JSON Lines to a real S3 server (SeaweedFS) under the invocation id."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest
from test_async_wire import output_config, wait_done

from outcrop.families.nova_embed.segmented import split_text

MODEL = "amazon.nova-2-multimodal-embeddings-v1:0"
TEXT = " ".join(f"Sentence {i} describes product {i % 7} in plain words." for i in range(400))


def segmented(text: str, max_chars: int, dimension: int = 1024) -> dict:
    return {"taskType": "SEGMENTED_EMBEDDING", "segmentedEmbeddingParams": {
        "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": dimension,
        "text": {"truncationMode": "END", "value": text, "segmentationConfig": {"maxLengthChars": max_chars}}}}  # fmt: skip


@pytest.fixture
def bucket(s3_server) -> str:
    name = f"embed-bucket-{uuid.uuid4().hex[:10]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


def test_a_long_text_gives_one_embedding_per_segment_in_s3(reel_server, s3_server, bucket):
    runtime = reel_server.client("bedrock-runtime")
    arn = runtime.start_async_invoke(modelId=MODEL, modelInput=segmented(TEXT, 2000),
                                     outputDataConfig=output_config(bucket))["invocationArn"]  # fmt: skip
    job = wait_done(runtime, arn)
    assert job["status"] == "Completed", job
    s3 = s3_server.client()
    key = f"{arn.rsplit('/', 1)[1]}/embedding-text.jsonl"
    lines = [json.loads(line) for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()]
    expected = split_text(TEXT, 2000)
    assert len(lines) == len(expected) > 5
    for line, segment in zip(lines, expected, strict=True):
        meta = line["segmentMetadata"]
        assert (meta["segmentIndex"], meta["segmentStartCharPosition"], meta["segmentEndCharPosition"]) == (
            segment.index,
            segment.start,
            segment.end,
        )
        assert len(line["embedding"]) == 1024
        assert abs(np.linalg.norm(line["embedding"]) - 1) < 1e-4
    assert [key for key in _keys(s3, bucket) if "staging" in key] == []


def test_segments_cover_the_text_and_cut_at_whitespace():
    segments = split_text(TEXT, 500)
    assert "".join(s.text for s in segments) == TEXT
    assert all(len(s.text) <= 500 for s in segments)
    assert all(s.text.endswith(" ") for s in segments[:-1])


@pytest.mark.parametrize(
    ("model_input", "says"),
    [
        ({"taskType": "SEGMENTED_EMBEDDING", "segmentedEmbeddingParams": {"embeddingPurpose": "GENERIC_INDEX",
          "audio": {"format": "mp3", "source": {"s3Location": {"uri": "s3://b/a.mp3"}}}}}, "segments text only"),
        ({"taskType": "SEGMENTED_EMBEDDING", "segmentedEmbeddingParams": {"embeddingPurpose": "GENERIC_INDEX",
          "text": {"truncationMode": "END", "source": {"s3Location": {"uri": "s3://b/t.txt"}}}}}, "inline"),
        (segmented(TEXT, 2000, dimension=512), "embeddingDimension"),
        ({"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {}}, "taskType"),
    ],
)  # fmt: skip
def test_bad_segmented_inputs_are_refused_at_start(reel_server, bucket, model_input, says):
    runtime = reel_server.client("bedrock-runtime")
    with pytest.raises(runtime.exceptions.ValidationException, match=says):
        runtime.start_async_invoke(modelId=MODEL, modelInput=model_input, outputDataConfig=output_config(bucket))


def _keys(s3, bucket: str) -> list[str]:
    return [obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
