"""Nova Reel v1:0 / v1:1 `modelInput` -> TextToVideoTask (validated synchronously by StartAsyncInvoke)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from PIL.Image import Image

from outcrop.errors import ValidationError
from outcrop.families.schema import array, check, enum, integer, obj, string
from outcrop.tasks import TextToVideoTask
from outcrop.tasks.imaging import ImageLimits, decode_image
from outcrop.tasks.text_to_video import SHOT_SECONDS, VideoMode, VideoShot

WIDTH, HEIGHT = 1280, 720
IMAGE_LIMITS = ImageLimits(max_bytes=25_000_000, max_side=4096)
_S3 = obj(
    {
        "uri": string(pattern="^s3://[a-z0-9][.a-z0-9-]{1,61}[a-z0-9](/.*)?$"),
        "bucketOwner": string(pattern="^[0-9]{12}$"),
    },
    required=["uri"],
)
_IMAGE = obj(
    {
        "format": enum("png", "jpeg"),
        "source": {
            "type": "object",
            "properties": {"bytes": string(min_length=1), "s3Location": _S3},
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
        },
    },
    required=["format", "source"],
)
_SEED = integer(0, 2_147_483_646)
_SHOT_TEXT = string(1, 512)


def _config(*, duration: dict[str, Any] | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"fps": enum(24), "dimension": enum(f"{WIDTH}x{HEIGHT}"), "seed": _SEED}
    required = ["fps", "dimension"]
    if duration is not None:
        properties["durationSeconds"] = duration
        required.append("durationSeconds")
    return obj(properties, required=required)


def _schema(task_type: str, params_key: str, params: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    return obj(
        {"taskType": enum(task_type), params_key: params, "videoGenerationConfig": config},
        required=["taskType", params_key, "videoGenerationConfig"],
    )


SCHEMAS: dict[str, dict[str, Any]] = {
    "TEXT_VIDEO": _schema(
        "TEXT_VIDEO",
        "textToVideoParams",
        obj({"text": _SHOT_TEXT, "images": array(_IMAGE, 1, 1)}, required=["text"]),
        _config(duration=enum(SHOT_SECONDS)),
    ),
    "MULTI_SHOT_AUTOMATED": _schema(
        "MULTI_SHOT_AUTOMATED",
        "multiShotAutomatedParams",
        obj({"text": string(1, 4000)}, required=["text"]),
        _config(duration={**integer(12, 120), "multipleOf": SHOT_SECONDS}),
    ),
    "MULTI_SHOT_MANUAL": _schema(
        "MULTI_SHOT_MANUAL",
        "multiShotManualParams",
        obj(
            {"shots": array(obj({"text": _SHOT_TEXT, "image": _IMAGE}, required=["text"]), 2, 20)},
            required=["shots"],
        ),
        _config(duration=None),
    ),
}
TASK_TYPES = {"v1:0": ("TEXT_VIDEO",), "v1:1": ("TEXT_VIDEO", "MULTI_SHOT_AUTOMATED", "MULTI_SHOT_MANUAL")}


def parse_reel_input(model_input: Mapping[str, Any], version: str) -> TextToVideoTask:
    """`version` is "v1:0" or "v1:1"; multi-shot modes exist only on v1:1."""
    check(
        model_input,
        {"type": "object", "required": ["taskType"], "properties": {"taskType": enum(*TASK_TYPES[version])}},
    )
    task_type = str(model_input["taskType"])
    check(model_input, SCHEMAS[task_type])
    config: Mapping[str, Any] = model_input["videoGenerationConfig"]
    seed = int(config.get("seed", 42))
    if task_type == "TEXT_VIDEO":
        params = model_input["textToVideoParams"]
        image = _shot_image(params["images"][0], "textToVideoParams.images[0]") if "images" in params else None
        return TextToVideoTask(shots=(VideoShot(params["text"], image),), duration_seconds=SHOT_SECONDS, seed=seed)
    if task_type == "MULTI_SHOT_AUTOMATED":
        text = model_input["multiShotAutomatedParams"]["text"]
        duration = int(config["durationSeconds"])
        return TextToVideoTask(
            shots=(VideoShot(text),),
            duration_seconds=duration,
            seed=seed,
            mode=VideoMode.MULTI_SHOT_AUTOMATED,
        )
    shots = tuple(_manual_shot(s, i) for i, s in enumerate(model_input["multiShotManualParams"]["shots"]))
    return TextToVideoTask(
        shots=shots, duration_seconds=SHOT_SECONDS * len(shots), seed=seed, mode=VideoMode.MULTI_SHOT_MANUAL
    )


def _manual_shot(raw: Mapping[str, Any], index: int) -> VideoShot:
    where = f"multiShotManualParams.shots[{index}].image"
    image = _shot_image(raw["image"], where) if "image" in raw else None
    return VideoShot(raw["text"], image)


def _shot_image(raw: Mapping[str, Any], where: str) -> Image:
    source = raw["source"]
    if "bytes" not in source:
        raise ValidationError(
            f"{where}.source.s3Location is not supported by this server yet; send the image as source.bytes."
        )
    image = decode_image(source["bytes"], f"{where}.source.bytes", IMAGE_LIMITS)
    if image.size != (WIDTH, HEIGHT):
        raise ValidationError(
            f"{where} is {image.size[0]}x{image.size[1]}; Nova Reel needs exactly {WIDTH}x{HEIGHT} images."
        )
    if image.mode in ("RGBA", "LA", "PA") and int(np.asarray(image.getchannel("A")).min()) < 255:
        raise ValidationError(f"{where} has transparent pixels; send a fully opaque image.")
    return image
