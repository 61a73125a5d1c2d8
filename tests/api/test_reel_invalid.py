"""Nova Reel modelInput rules (validated synchronously when a job is started)."""

from __future__ import annotations

from typing import Any

import pytest

from outcrop.errors import ValidationError
from outcrop.families.nova_reel.body import parse_reel_input
from support.images import png_b64

FRAME = png_b64(1280, 720)
WRONG = png_b64(1024, 1024)
SEE_THROUGH = png_b64(1280, 720, (10, 10, 10, 0), mode="RGBA")
CONFIG = {"durationSeconds": 6, "fps": 24, "dimension": "1280x720"}


def text_video(params: dict[str, Any] | None = None, **config: Any) -> dict[str, Any]:
    return {
        "taskType": "TEXT_VIDEO",
        "textToVideoParams": {"text": "waves at dusk", **(params or {})},
        "videoGenerationConfig": {**CONFIG, **config},
    }


def image(data: str, fmt: str = "png") -> dict[str, Any]:
    return {"format": fmt, "source": {"bytes": data}}


CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("duration-7", "v1:0", text_video(durationSeconds=7), "7 is not a valid enum value (expected one of: 6)"),
    ("fps-30", "v1:0", text_video(fps=30), "30 is not a valid enum value (expected one of: 24)"),
    ("dimension", "v1:0", text_video(dimension="1920x1080"), "1920x1080 is not a valid enum value"),
    ("missing-duration", "v1:0", {**text_video(), "videoGenerationConfig": {"fps": 24, "dimension": "1280x720"}}, "required key [durationSeconds]"),
    ("seed-high", "v1:0", text_video(seed=2_147_483_647), "is not less or equal to 2147483646"),
    ("text-long", "v1:0", text_video({"text": "x" * 513}), "expected maxLength: 512"),
    ("image-size", "v1:0", text_video({"images": [image(WRONG)]}), "needs exactly 1280x720"),
    ("image-transparent", "v1:1", text_video({"images": [image(SEE_THROUGH)]}), "transparent pixels"),
    ("two-images", "v1:0", text_video({"images": [image(FRAME), image(FRAME)]}), "expected maximum item count: 1"),
    ("image-format", "v1:0", text_video({"images": [image(FRAME, "gif")]}), "gif is not a valid enum value"),
    ("multi-shot-on-v1-0", "v1:0", {"taskType": "MULTI_SHOT_AUTOMATED"}, "MULTI_SHOT_AUTOMATED is not a valid enum value"),
    ("auto-duration-not-multiple", "v1:1",
     {"taskType": "MULTI_SHOT_AUTOMATED", "multiShotAutomatedParams": {"text": "x"},
      "videoGenerationConfig": {**CONFIG, "durationSeconds": 20}}, "20 is not a multiple of 6"),
    ("auto-duration-too-long", "v1:1",
     {"taskType": "MULTI_SHOT_AUTOMATED", "multiShotAutomatedParams": {"text": "x"},
      "videoGenerationConfig": {**CONFIG, "durationSeconds": 126}}, "126 is not less or equal to 120"),
    ("auto-text-long", "v1:1",
     {"taskType": "MULTI_SHOT_AUTOMATED", "multiShotAutomatedParams": {"text": "x" * 4001},
      "videoGenerationConfig": {**CONFIG, "durationSeconds": 12}}, "expected maxLength: 4000"),
    ("manual-one-shot", "v1:1",
     {"taskType": "MULTI_SHOT_MANUAL", "multiShotManualParams": {"shots": [{"text": "x"}]},
      "videoGenerationConfig": {"fps": 24, "dimension": "1280x720"}}, "expected minimum item count: 2"),
    ("manual-duration-given", "v1:1",
     {"taskType": "MULTI_SHOT_MANUAL", "multiShotManualParams": {"shots": [{"text": "x"}, {"text": "y"}]},
      "videoGenerationConfig": CONFIG}, "extraneous key [durationSeconds]"),
    ("manual-shot-image-size", "v1:1",
     {"taskType": "MULTI_SHOT_MANUAL",
      "multiShotManualParams": {"shots": [{"text": "x", "image": image(WRONG)}, {"text": "y"}]},
      "videoGenerationConfig": {"fps": 24, "dimension": "1280x720"}}, "shots[0].image is 1024x1024"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "version", "body", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_invalid_reel_input(case, version, body, fragment):
    with pytest.raises(ValidationError) as caught:
        parse_reel_input(body, version)
    assert fragment in caught.value.message


def test_converse_turns_and_blocks(runtime):
    user = {"role": "user", "content": [{"text": "hi"}]}
    cases = [
        ([{"role": "assistant", "content": [{"text": "hi"}]}], "must start with a user message"),
        ([user, user], "must alternate between user and assistant roles"),
        ([{"role": "user", "content": [{"document": {"format": "txt", "name": "d", "source": {"bytes": b"x"}}}]}],
         "content block 'document' is not supported"),
    ]  # fmt: skip
    for messages, fragment in cases:
        with pytest.raises(runtime.exceptions.ValidationException) as caught:
            runtime.converse(modelId="amazon.nova-lite-v1:0", messages=messages)
        assert fragment in caught.value.response["Error"]["Message"]


def test_converse_on_image_model_is_refused(runtime):
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.converse(modelId="amazon.nova-canvas-v1:0", messages=[{"role": "user", "content": [{"text": "x"}]}])
    assert "doesn't support the Converse API" in caught.value.response["Error"]["Message"]
