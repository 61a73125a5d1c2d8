"""The SDK against a live tiny-profile server: every image operation, embeddings, errors, and the in-process and
async clients giving the same result as the HTTP one. Tiny pixels are noise: sizes, counts and determinism are
what is tested."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from PIL import Image

import outcrop
from outcrop.sdk import AsyncClient, Client, InProcessClient, OutcropAPIError
from outcrop.settings import Settings

SIZE = {"width": 320, "height": 384}


def photo(width: int = 320, height: int = 320) -> Image.Image:
    return Image.new("RGB", (width, height), (120, 160, 200))


def box_mask(width: int = 320, height: int = 320) -> Image.Image:
    mask = Image.new("RGB", (width, height), (255, 255, 255))
    mask.paste((0, 0, 0), (80, 80, 240, 240))
    return mask


@pytest.fixture(scope="module")
def client(tiny_server):
    with Client(tiny_server.url, timeout=300) as sdk:
        yield sdk


OPERATIONS = {
    "generate": (lambda c, seed: c.images.generate("a lamp", seed=seed, **SIZE), (320, 384)),
    "vary": (lambda c, seed: c.images.vary([photo()], prompt="a chair", seed=seed, **SIZE), (320, 384)),
    "inpaint": (lambda c, seed: c.images.inpaint(photo(), mask=box_mask(), prompt="a cat", seed=seed,
                                                 width=320, height=320), (320, 320)),
    "outpaint": (lambda c, seed: c.images.outpaint(photo(), "a beach", mask=box_mask(), mode="PRECISE", seed=seed,
                                                   width=320, height=320), (320, 320)),
    "recolor": (lambda c, seed: c.images.recolor("a vase", ["#ff0000", "#00FF00"], seed=seed, **SIZE), (320, 384)),
    "remove-background": (lambda c, seed: c.images.remove_background(photo()), (320, 320)),
}  # fmt: skip


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_each_operation_returns_pngs_of_the_requested_size_and_is_deterministic(client, operation, pulled):
    if operation == "remove-background":
        pulled("isnet-general-small")
    run, size = OPERATIONS[operation]
    first, second = run(client, 5), run(client, 5)
    assert len(first.images) == len(first.pngs) == 1
    decoded = Image.open(io.BytesIO(first.pngs[0]))
    assert decoded.format == "PNG"
    assert decoded.size == size
    assert first.images[0].tobytes() == second.images[0].tobytes()
    assert first.model_id == "amazon.nova-canvas-v1:0"
    assert first.blocked == 0
    if operation != "remove-background":
        assert (first.seed, first.seeds) == (5, [5])


def test_several_images_come_with_their_seeds(client):
    result = client.images.generate("a mug", number_of_images=2, seed=11, **SIZE)
    assert result.seeds == [11, 12]
    assert len(result.images) == 2
    assert result.images[0].tobytes() != result.images[1].tobytes()


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda c: c.images.generate("a lamp", width=333, height=320), "multiple of 16"),
        (lambda c: c.images.generate("a lamp", seed=-1), "seed"),
        (lambda c: c.images.generate("a lamp", no_such_option=1), "Extra inputs"),
        (lambda c: c.images.inpaint(photo(), prompt="a cat"), "exactly one of maskPrompt"),
        (lambda c: c.images.recolor("a vase", ["red"]), "#RRGGBB"),
        (lambda c: c.images.generate("a lamp", model_id="amazon.titan-embed-image-v1"), "does not make images"),
    ],
    ids=["size", "seed-range", "unknown-field", "mask-one-of", "colour", "wrong-model"],
)
def test_validation_errors_raise_outcrop_api_error(client, call, fragment):
    with pytest.raises(OutcropAPIError) as caught:
        call(client)
    assert caught.value.code == "ValidationException"
    assert caught.value.status == 400
    assert fragment in caught.value.message


@pytest.mark.parametrize("dimensions", [256, 384, 1024])
def test_text_embeddings_have_the_requested_dimension_and_unit_norm(client, dimensions):
    embedding = client.embeddings.create("a red lamp", dimensions=dimensions)
    assert embedding.vector.dtype == np.float32
    assert embedding.vector.shape == (dimensions,) == (embedding.dimensions,)
    assert abs(float(np.linalg.norm(embedding.vector)) - 1.0) < 1e-4


def test_image_embedding_is_unit_norm(client):
    embedding = client.embeddings.create(image=photo(), dimensions=384)
    assert embedding.vector.shape == (384,)
    assert abs(float(np.linalg.norm(embedding.vector)) - 1.0) < 1e-4


def test_embedding_dimension_outside_the_model_is_refused(client):
    with pytest.raises(OutcropAPIError) as caught:
        client.embeddings.create("a lamp", dimensions=300)
    assert caught.value.code == "ValidationException"


def test_in_process_client_gives_the_same_result_as_the_http_client(client, tmp_path, models_dir):
    over_http = client.images.generate("a kettle", seed=9, **SIZE)
    settings = Settings(home=tmp_path, models_path=models_dir, profile="tiny")
    with InProcessClient(settings) as local:
        in_process = local.images.generate("a kettle", seed=9, **SIZE)
        vector = local.embeddings.create("a kettle", dimensions=256).vector
    assert in_process.images[0].tobytes() == over_http.images[0].tobytes()
    assert np.allclose(vector, client.embeddings.create("a kettle", dimensions=256).vector, atol=1e-6)


def test_async_client_gives_the_same_result(client, tiny_server):
    async def generate():
        async with AsyncClient(tiny_server.url, timeout=300) as sdk:
            return await sdk.images.generate("a kettle", seed=9, **SIZE)

    assert (
        asyncio.run(generate()).images[0].tobytes()
        == client.images.generate("a kettle", seed=9, **SIZE).images[0].tobytes()
    )


def test_models_list_includes_nova_canvas_with_installed_info(client):
    models = {m.model_id: m for m in client.models.list()}
    canvas = models["amazon.nova-canvas-v1:0"]
    assert canvas.family == "nova-canvas"
    generate = canvas.tasks["TEXT_TO_IMAGE"][0]
    assert (generate.weights, generate.installed, generate.serving) == ("tiny-diffusion", True, True)


def test_review_list_sees_generated_images(client):
    before = len(client.review.list("pending"))
    client.images.generate("a teapot", seed=1, **SIZE)
    assets = client.review.list("pending")
    assert len(assets) == before + 1
    approved = client.review.approve(assets[-1].id, reviewer="tester")
    assert approved.status == "approved"


def test_outcrop_exports_the_clients_lazily():
    assert outcrop.Client is Client
    assert outcrop.AsyncClient is AsyncClient
    assert outcrop.InProcessClient is InProcessClient


def test_knowledge_bases_round_trip(client, tmp_path):
    folder = tmp_path / "catalogue"
    folder.mkdir()
    for name, colour in (("red.png", (200, 20, 20)), ("blue.png", (20, 20, 200)), ("green.png", (20, 200, 20))):
        Image.new("RGB", (64, 64), colour).save(folder / name)
    kb = client.knowledge_bases.create("sdk-products", dimension=256)
    assert kb.id in {k.id for k in client.knowledge_bases.list()}
    run = client.knowledge_bases.ingest(kb.id, folder, poll_s=0.1)
    assert run.status == "COMPLETE", run
    hits = client.knowledge_bases.search(kb.id, image=folder / "red.png", k=2)
    assert len(hits) == 2
    assert hits[0].uri.endswith("red.png")
    assert hits[0].score is not None and hits[0].score >= hits[1].score
    similar = client.knowledge_bases.recommend(kb.id, [hits[0].id], k=1)
    assert len(similar) == 1 and similar[0].id != hits[0].id


def test_generated_images_name_their_review_assets(client):
    result = client.images.generate("a lamp", width=320, height=320, number_of_images=2, seed=77)
    assert len(result.review_asset_ids) == 2
    pending = {asset.id for asset in client.review.list("pending")}
    assert set(result.review_asset_ids) <= pending
