"""Property-based fuzzing of InvokeModel: valid skeletons of every family with mutated fields (wrong types, huge
and NaN-like numbers, random bytes and crafted files as images, keys dropped or added) sent to a live tiny-profile
server. Whatever comes back must be a typed answer below 500.

Derandomized and bounded, so CI sees the same examples every run. Image-generation bodies that still parse after
mutation are not sent (a tiny diffusion run costs seconds; tests/api/test_wire_generation.py covers valid ones).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcrop.errors import ValidationError
from outcrop.families.amazon_image.body import parse_image_body
from outcrop.families.amazon_image.limits import NOVA_CANVAS, TITAN_V1, TITAN_V2, ImageFamily
from support.crafted_images import accepted, refused
from support.images import box_mask_b64, png_b64
from support.live_server import LiveServer

Json = dict[str, Any]
IMG = png_b64(320, 320)
MASK = box_mask_b64(320, 320, (10, 10, 100, 100))
_CRAFTED = [base64.b64encode(raw).decode() for raw in [*refused().values(), *accepted().values()]]
_GENERATION = {"numberOfImages": 1, "width": 320, "height": 320, "cfgScale": 6.5, "seed": 1}
_CANVAS = "amazon.nova-canvas-v1:0"

SKELETONS: list[tuple[str, Json]] = [
    ("amazon.titan-image-generator-v1", {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a lamp"},
                                         "imageGenerationConfig": {**_GENERATION, "width": 512, "height": 512}}),
    ("amazon.titan-image-generator-v2:0", {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": IMG}}),
    ("amazon.titan-image-generator-v2:0", {"taskType": "COLOR_GUIDED_GENERATION", "imageGenerationConfig": _GENERATION,
                                           "colorGuidedGenerationParams": {"text": "a vase", "colors": ["#ff0000"]}}),
    (_CANVAS, {"taskType": "TEXT_IMAGE", "imageGenerationConfig": _GENERATION,
               "textToImageParams": {"text": "a lamp", "conditionImage": IMG, "controlMode": "CANNY_EDGE"}}),
    (_CANVAS, {"taskType": "INPAINTING", "inPaintingParams": {"image": IMG, "maskImage": MASK, "text": "a barn"}}),
    (_CANVAS, {"taskType": "OUTPAINTING", "outPaintingParams": {"image": IMG, "maskPrompt": "dog", "text": "a park"}}),
    (_CANVAS, {"taskType": "IMAGE_VARIATION", "imageVariationParams": {"images": [IMG], "similarityStrength": 0.5}}),
    (_CANVAS, {"taskType": "VIRTUAL_TRY_ON", "virtualTryOnParams": {
        "sourceImage": IMG, "referenceImage": IMG, "maskType": "GARMENT",
        "garmentBasedMask": {"garmentClass": "UPPER_BODY"}}}),
    ("amazon.titan-embed-text-v2:0", {"inputText": "suede", "dimensions": 256, "normalize": True}),
    ("amazon.titan-embed-image-v1", {"inputText": "shoe", "inputImage": IMG,
                                     "embeddingConfig": {"outputEmbeddingLength": 256}}),
    ("amazon.nova-2-multimodal-embeddings-v1:0", {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
        "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 384,
        "image": {"format": "png", "detailLevel": "STANDARD_IMAGE", "source": {"bytes": IMG}}}}),
    ("cohere.embed-english-v3", {"texts": ["a red dress"], "input_type": "search_document", "truncate": "END"}),
    ("cohere.embed-v4:0", {"images": [f"data:image/png;base64,{IMG}"], "input_type": "image"}),
    ("amazon.nova-micro-v1:0", {"schemaVersion": "messages-v1", "system": [{"text": "be brief"}],
                                "messages": [{"role": "user", "content": [{"text": "hi"}]}],
                                "inferenceConfig": {"maxTokens": 8, "temperature": 0.5, "topP": 0.9}}),
]  # fmt: skip
_IMAGE_FAMILIES: dict[str, ImageFamily] = {
    "amazon.titan-image-generator-v1": TITAN_V1,
    "amazon.titan-image-generator-v2:0": TITAN_V2,
    _CANVAS: NOVA_CANVAS,
}

_NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, 10**30, 1e308, -1e-308, 0.5]),
    st.floats(),  # NaN and Infinity too: json.dumps writes them as the bare words the server must refuse
)
_IMAGES = st.one_of(st.sampled_from(_CRAFTED), st.binary(max_size=96).map(lambda raw: base64.b64encode(raw).decode()))
_SCALARS = st.one_of(st.none(), st.booleans(), _NUMBERS, st.text(max_size=24), st.just("x" * 30_000), _IMAGES)
VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                      max_size=3), max_leaves=6)  # fmt: skip


def _slots(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) in a JSON tree, the root's children first."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in list(items):
        yield node, key
        yield from _slots(child)


@st.composite
def mutated(draw: st.DrawFn, skeleton: Json) -> Json:
    body = copy.deepcopy(skeleton)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        slots = list(_slots(body))
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "replace":
            container[key] = draw(VALUES)
        elif action == "delete":
            del container[key]
        elif isinstance(container, dict):
            container[draw(st.sampled_from(["extra", "seed", "image", "text", "width", ""]))] = draw(VALUES)
    return body


def _worth_sending(model_id: str, body: Json) -> bool:
    """False for image-generation bodies that still parse: those would run the tiny diffusion model."""
    family = _IMAGE_FAMILIES.get(model_id)
    if family is None:
        return True
    try:
        parse_image_body(body, family)
    except ValidationError:
        return True
    return False


def assert_typed_below_500(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:2000]
    if response.status_code >= 400:
        assert response.json()["__type"], response.text[:2000]


@pytest.fixture(scope="module")
def http(tiny_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tiny_server.url, timeout=120) as client:
        yield client


_FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize(("model_id", "skeleton"), SKELETONS, ids=[f"{m}-{i}" for i, (m, _) in enumerate(SKELETONS)])
def test_mutated_bodies_never_answer_5xx(http: httpx.Client, model_id: str, skeleton: Json) -> None:
    @_FUZZ
    @given(body=mutated(skeleton))
    def check(body: Json) -> None:
        if _worth_sending(model_id, body):
            assert_typed_below_500(http.post(f"/model/{model_id}/invoke", content=json.dumps(body)))

    check()


@_FUZZ
@given(raw=st.one_of(st.binary(max_size=256), VALUES.map(lambda value: json.dumps(value).encode())))
def test_arbitrary_bytes_as_a_body_never_answer_5xx(http: httpx.Client, raw: bytes) -> None:
    assert_typed_below_500(http.post("/model/amazon.titan-embed-text-v2:0/invoke", content=raw))
