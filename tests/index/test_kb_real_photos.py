"""The issue's finish line with real weights: a folder of real photos, ingested and found by text and by image
through unmodified boto3, served by the offline ConSE model (no CLIP weights reach these machines)."""

from __future__ import annotations

import io
import json

import pytest
import skimage.data
from click.testing import CliRunner
from PIL import Image

from outcrop.cli.main import cli
from support.live_server import start_server

PHOTOS = {"coffee": skimage.data.coffee, "cat": skimage.data.chelsea, "rocket": skimage.data.rocket,
          "camera": skimage.data.camera, "motorcycle": lambda: skimage.data.stereo_motorcycle()[0]}  # fmt: skip
QUERIES = {"a cup of coffee": "coffee", "a cat": "cat", "a space rocket launch": "rocket",
           "a photographer with a camera": "camera", "a motorbike": "motorcycle"}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory, pulled):
    models = pulled("conse-lite0-minilm").parent
    home = tmp_path_factory.mktemp("real-kb-home")
    with start_server(home=home, models_dir=models, profile="default", torch_threads=1) as live:
        yield live


@pytest.fixture(scope="module")
def kb_id(server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    for name, load in PHOTOS.items():
        Image.fromarray(load()).convert("RGB").save(folder / f"{name}.jpg", quality=90)
    runner = CliRunner()
    created = runner.invoke(cli, ["--url", server.url, "kb", "create", "photos", "--dimension", "384", "--json"])
    kb = json.loads(created.stdout)["id"]
    ingested = runner.invoke(cli, ["--url", server.url, "kb", "ingest", kb, str(folder), "--json"])
    assert json.loads(ingested.stdout)["report"]["added"] == len(PHOTOS), ingested.output
    return kb


def top(server, kb_id, query) -> str:
    agent = server.client("bedrock-agent-runtime")
    reply = agent.retrieve(knowledgeBaseId=kb_id, retrievalQuery=query,
                           retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 1}})  # fmt: skip
    return reply["retrievalResults"][0]["location"]["customDocumentLocation"]["id"].rsplit("/", 1)[1]


@pytest.mark.slow
def test_models_list_shows_the_offline_model_serving_titan(server):
    state = server.server.config.app.state.outcrop
    entry = state.catalog.resolve("amazon.titan-embed-image-v1")
    assert state.embedder.space(entry).startswith("conse:conse-lite0-minilm")


@pytest.mark.slow
def test_text_queries_find_real_photos(server, kb_id):
    hits = sum(top(server, kb_id, {"text": query}) == f"{name}.jpg" for query, name in QUERIES.items())
    assert hits / len(QUERIES) >= 0.8, hits  # measured 5/5 here; ImageNet can name all five subjects


@pytest.mark.slow
def test_image_query_finds_the_same_photo(server, kb_id):
    buffer = io.BytesIO()
    Image.fromarray(skimage.data.chelsea()).resize((225, 150)).save(buffer, format="PNG")
    query = {"type": "IMAGE", "image": {"format": "png", "inlineContent": buffer.getvalue()}}
    assert top(server, kb_id, query) == "cat.jpg"


@pytest.mark.slow
def test_titan_wire_vectors_compare_across_modalities(server):
    """256-d text and image vectors from amazon.titan-embed-image-v1 live in one space."""
    import base64

    import numpy as np

    client = server.client("bedrock-runtime")

    def embed(**body):
        body["embeddingConfig"] = {"outputEmbeddingLength": 256}
        return np.array(
            json.loads(
                client.invoke_model(modelId="amazon.titan-embed-image-v1", body=json.dumps(body))["body"].read()
            )["embedding"]
        )

    buffer = io.BytesIO()
    Image.fromarray(skimage.data.coffee()).save(buffer, format="PNG")
    coffee = embed(inputImage=base64.b64encode(buffer.getvalue()).decode())
    assert coffee @ embed(inputText="a cup of espresso") > coffee @ embed(inputText="a space rocket")


FILLER = [
    "The committee reviewed the quarterly budget and approved new spending on road repairs.",
    "Farmers in the valley planted wheat early this year because the spring was unusually warm.",
    "The orchestra rehearsed the symphony twice before the evening concert in the city hall.",
    "Engineers tested the bridge cables for corrosion after the heavy winter storms.",
    "Students at the school library borrowed more history books than novels last month.",
]
LAST = "At the very end, the lighthouse keeper repainted the old wooden door a bright turquoise colour."


@pytest.mark.slow
def test_a_sentence_from_the_end_of_a_long_text_is_retrieved(server, tmp_path):
    """A 2,000-word document is chunked to fit the model's 256-token window; its last sentence is found."""
    filler = " ".join(FILLER[i % len(FILLER)] for i in range(150))
    (tmp_path / "long.txt").write_text(f"{filler} {LAST}")
    assert len((tmp_path / "long.txt").read_text().split()) > 2_000
    for n, sentence in enumerate(FILLER):
        (tmp_path / f"short{n}.txt").write_text(sentence)
    runner = CliRunner()
    created = runner.invoke(cli, ["--url", server.url, "kb", "create", "texts", "--dimension", "384", "--json"])
    kb = json.loads(created.stdout)["id"]
    ingested = runner.invoke(cli, ["--url", server.url, "kb", "ingest", kb, str(tmp_path), "--json"])
    report = json.loads(ingested.stdout)["report"]
    assert (report["added"], report["failed"]) == (6, 0), report
    agent = server.client("bedrock-agent-runtime")
    reply = agent.retrieve(
        knowledgeBaseId=kb, retrievalQuery={"text": "what colour did the lighthouse keeper paint the door"}
    )
    assert LAST in reply["retrievalResults"][0]["content"]["text"]
