"""The native /v1/images and /v1/embeddings API on the wire: OpenAPI derived from the Task dataclasses, error
envelopes, response shape; plus the dataclass -> pydantic derivation itself (no server)."""

from __future__ import annotations

import base64
import dataclasses

import httpx
import pytest
from pydantic import ValidationError as PydanticError

from outcrop.api.native.embeddings import EmbeddingRequest
from outcrop.api.native.images import OPERATIONS
from outcrop.api.native.task_models import build_task
from outcrop.tasks import InpaintTask, TextToImageTask
from outcrop.tasks.generation import GenerationConfig
from support.images import box_mask_b64, png_b64

OPS = {op.path: op for op in OPERATIONS}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@pytest.fixture(scope="module")
def openapi(tiny_server):
    return httpx.get(f"{tiny_server.url}/openapi.json").json()


def resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_openapi_lists_generate_with_the_task_fields_and_defaults(openapi):
    operation = openapi["paths"]["/v1/images/generate"]["post"]
    body = resolve(openapi, operation["requestBody"]["content"]["application/json"]["schema"])
    expected = {camel(f.name) for f in dataclasses.fields(TextToImageTask) if f.name != "kind"}
    assert set(body["properties"]) == expected | {"modelId"}
    assert body["required"] == ["prompt"]
    config = resolve(openapi, body["properties"]["config"])
    defaults = GenerationConfig()
    assert config["properties"]["seed"]["default"] == defaults.seed
    assert config["properties"]["numberOfImages"]["default"] == defaults.number_of_images
    assert config["properties"]["cfgScale"]["default"] == defaults.cfg_scale
    assert body["properties"]["prompt"]["description"]


@pytest.mark.parametrize("path", sorted(OPS))
def test_every_operation_is_documented(openapi, path):
    assert "post" in openapi["paths"][f"/v1/images/{path}"]


def test_response_shape(tiny_server):
    reply = httpx.post(f"{tiny_server.url}/v1/images/generate", timeout=300,
                       json={"prompt": "a lamp", "config": {"width": 320, "height": 320, "seed": 4}})  # fmt: skip
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"images", "seed", "seeds", "modelId", "blocked", "maskImages", "reviewAssetIds"}
    assert len(body["reviewAssetIds"]) == len(body["images"])
    assert base64.b64decode(body["images"][0]).startswith(b"\x89PNG")
    assert (body["seed"], body["seeds"], body["blocked"]) == (4, [4], 0)


def test_return_mask_comes_back(tiny_server):
    body = {"image": png_b64(320, 320), "maskPrompt": "the centre", "returnMask": True, "config": {"width": 320,
            "height": 320}}  # fmt: skip
    reply = httpx.post(f"{tiny_server.url}/v1/images/inpaint", json=body, timeout=300)
    assert reply.status_code == 200, reply.text
    assert len(reply.json()["maskImages"]) == 1


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        ("generate", {}, "prompt: Field required"),
        ("generate", {"prompt": "x", "config": {"width": 320, "height": 2048}}, "aspect ratio"),
        ("inpaint", {"image": "not base64!", "maskPrompt": "x"}, "not valid base64"),
        ("inpaint", {"image": png_b64(320, 320), "mask": box_mask_b64(336, 320, (10, 10, 100, 100))}, "same size"),
        ("vary", {"images": []}, "images"),
        ("generate", {"prompt": "x", "modelId": "no.such-model"}, "model identifier is invalid"),
    ],
    ids=["missing-prompt", "aspect", "bad-base64", "mask-size", "no-images", "unknown-model"],
)
def test_errors_use_the_bedrock_envelope(tiny_server, path, body, fragment):
    reply = httpx.post(f"{tiny_server.url}/v1/images/{path}", json=body, timeout=60)
    assert reply.status_code == 400
    assert reply.headers["x-amzn-ErrorType"] == "ValidationException"
    assert reply.json()["__type"] == "ValidationException"
    assert fragment in reply.json()["message"]


def test_embeddings_response(tiny_server):
    reply = httpx.post(f"{tiny_server.url}/v1/embeddings", json={"text": "a lamp", "dimensions": 384}, timeout=60)
    body = reply.json()
    assert body["dimensions"] == len(body["embedding"]) == 384
    assert body["modelId"] == "amazon.titan-embed-image-v1"


def test_nova_embeddings_take_one_input(tiny_server):
    body = {"modelId": "amazon.nova-2-multimodal-embeddings-v1:0", "text": "a", "image": png_b64(64, 64)}
    reply = httpx.post(f"{tiny_server.url}/v1/embeddings", json=body, timeout=60)
    assert reply.status_code == 400
    assert "not both" in reply.json()["message"]


def test_build_task_decodes_images_and_keeps_task_defaults():
    model = OPS["inpaint"].model
    request = model.model_validate({"image": "IMG", "maskPrompt": "the sofa", "config": {"seed": 3}})
    task = build_task(request, lambda data, where: f"decoded {data} at {where}")  # type: ignore[arg-type,return-value]
    assert isinstance(task, InpaintTask)
    assert task.image == "decoded IMG at image"
    assert task.mask is None and task.mask_prompt == "the sofa"
    assert task.config == GenerationConfig(seed=3)
    assert task.return_mask is InpaintTask.__dataclass_fields__["return_mask"].default


def test_snake_case_is_accepted_and_unknown_keys_are_not():
    model = OPS["generate"].model
    assert model.model_validate({"prompt": "x", "negative_prompt": "y"}).negative_prompt == "y"  # type: ignore[attr-defined]
    with pytest.raises(PydanticError):
        model.model_validate({"prompt": "x", "colour": "red"})


def test_embedding_request_renames_dimension():
    request = EmbeddingRequest.model_validate({"text": "hi", "dimensions": 256})
    task = build_task(request, lambda data, where: None)  # type: ignore[arg-type,return-value]
    assert (task.text, task.image, task.dimension) == ("hi", None, 256)
