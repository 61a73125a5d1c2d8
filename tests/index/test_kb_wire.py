"""Knowledge bases end to end: CLI create/ingest, boto3 bedrock-agent-runtime Retrieve (text, image, filters,
pagination), incremental re-ingest, recommendations, the heatmap, restarts and model-space changes.

Embeddings come from the deterministic test double (tests/support/double_embedder.py): text "colour:RRGGBB"
and a solid image of that colour share a vector, so text->image search has a known right answer."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from outcrop.cli.exits import EXIT_NO_SERVER
from outcrop.cli.main import cli
from support import double_embedder

COLOURS = {"red": "ff0000", "green": "00ff00", "blue": "0000ff", "black": "000000", "white": "ffffff"}


def make_catalog(folder: Path) -> Path:
    for n, (name, hexa) in enumerate(COLOURS.items()):
        Image.new("RGB", (64, 48), "#" + hexa).save(folder / f"{name}.png")
        meta = {"metadataAttributes": {"colour": name, "price": 10 * (n + 1), "tags": ["solid", name]}}
        (folder / f"{name}.png.metadata.json").write_text(json.dumps(meta))
    (folder / "notes.txt").write_text("colour:ff0000")
    return folder


def run(server, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--url", server.url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def kb(double_server, tmp_path_factory):
    folder = make_catalog(tmp_path_factory.mktemp("catalog"))
    kb_id = json.loads(run(double_server, "kb", "create", "products", "--json"))["id"]
    report = json.loads(run(double_server, "kb", "ingest", kb_id, str(folder), "--json"))
    assert report["status"] == "COMPLETE", report
    assert report["report"]["added"] == 6
    return {"id": kb_id, "folder": folder}


def retrieve(client, kb_id, query, **config):
    vector = {"numberOfResults": 3, **config}
    return client.retrieve(knowledgeBaseId=kb_id, retrievalQuery=query,
                           retrievalConfiguration={"vectorSearchConfiguration": vector})  # fmt: skip


def test_text_to_image_retrieve_through_boto3(double_server, kb):
    agent = double_server.client("bedrock-agent-runtime")
    reply = retrieve(agent, kb["id"], {"text": "colour:0000ff"})
    top = reply["retrievalResults"][0]
    assert top["metadata"]["colour"] == "blue"
    assert top["score"] == pytest.approx(1.0, abs=1e-5)
    assert top["content"]["type"] == "IMAGE"
    assert top["content"]["byteContent"].startswith("data:image/png;base64,")
    png = base64.b64decode(top["content"]["byteContent"].split(",", 1)[1])
    assert Image.open(io.BytesIO(png)).getpixel((5, 5)) == (0, 0, 255)
    assert top["location"]["type"] == "CUSTOM"
    assert top["location"]["customDocumentLocation"]["id"].endswith("blue.png")
    assert top["metadata"]["x-amz-bedrock-kb-source-uri"].endswith("blue.png")


def test_text_documents_come_back_as_text(double_server, kb):
    agent = double_server.client("bedrock-agent-runtime")
    results = retrieve(agent, kb["id"], {"text": "colour:ff0000"}, numberOfResults=2)["retrievalResults"]
    kinds = {r["content"]["type"]: r for r in results}
    assert kinds["TEXT"]["content"]["text"] == "colour:ff0000"
    assert kinds["IMAGE"]["metadata"]["colour"] == "red"


def test_image_to_image_retrieve(double_server, kb):
    agent = double_server.client("bedrock-agent-runtime")
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), "#00ff00").save(buffer, format="PNG")
    query = {"type": "IMAGE", "image": {"format": "png", "inlineContent": buffer.getvalue()}}
    assert retrieve(agent, kb["id"], query)["retrievalResults"][0]["metadata"]["colour"] == "green"


@pytest.mark.parametrize(
    ("content", "image_format", "says"),
    [
        ("base64", "png", "pass the raw bytes"),
        ("data-uri", "png", "pass the raw bytes"),
        ("raw", "jpeg", "send format png"),
    ],
)
def test_a_wrongly_encoded_image_query_says_what_to_send(double_server, kb, content, image_format, says):
    agent = double_server.client("bedrock-agent-runtime")
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), "#00ff00").save(buffer, format="PNG")
    encoded = base64.b64encode(buffer.getvalue())
    inline = {"raw": buffer.getvalue(), "base64": encoded, "data-uri": b"data:image/png;base64," + encoded}[content]
    query = {"type": "IMAGE", "image": {"format": image_format, "inlineContent": inline}}
    with pytest.raises(agent.exceptions.ValidationException, match=says):
        retrieve(agent, kb["id"], query)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"equals": {"key": "colour", "value": "red"}}, {"red"}),
        ({"notEquals": {"key": "colour", "value": "red"}}, {"green", "blue", "black", "white", None}),
        ({"greaterThan": {"key": "price", "value": 30}}, {"black", "white"}),
        ({"lessThanOrEquals": {"key": "price", "value": 20}}, {"red", "green"}),
        ({"in": {"key": "colour", "value": ["blue", "white"]}}, {"blue", "white"}),
        ({"startsWith": {"key": "colour", "value": "bl"}}, {"blue", "black"}),
        ({"listContains": {"key": "tags", "value": "green"}}, {"green"}),
        ({"andAll": [{"greaterThan": {"key": "price", "value": 10}}, {"lessThan": {"key": "price", "value": 40}}]},
         {"green", "blue"}),
        ({"orAll": [{"equals": {"key": "colour", "value": "red"}}, {"equals": {"key": "colour", "value": "white"}}]},
         {"red", "white"}),
    ],
)  # fmt: skip
def test_metadata_filters(double_server, kb, where, expected):
    agent = double_server.client("bedrock-agent-runtime")
    results = retrieve(agent, kb["id"], {"text": "colour:ff0000"}, numberOfResults=10, filter=where)
    assert {r["metadata"].get("colour") for r in results["retrievalResults"]} == expected


def test_pagination_with_next_token(double_server, kb):
    agent = double_server.client("bedrock-agent-runtime")
    seen, token, pages = [], None, 0
    while True:
        extra = {"nextToken": token} if token else {}
        reply = agent.retrieve(knowledgeBaseId=kb["id"], retrievalQuery={"text": "colour:ffffff"},
                               retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 2}}, **extra)  # fmt: skip
        seen += [r["metadata"]["x-amz-bedrock-kb-chunk-id"] for r in reply["retrievalResults"]]
        pages += 1
        token = reply.get("nextToken")
        if not token:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 6


def test_retrieve_errors(double_server, kb):
    agent = double_server.client("bedrock-agent-runtime")
    with pytest.raises(agent.exceptions.ResourceNotFoundException):
        retrieve(agent, "NOSUCHKB01", {"text": "x"})
    with pytest.raises(agent.exceptions.ValidationException) as caught:
        retrieve(agent, kb["id"], {"text": "x"}, filter={"greaterThan": {"key": "price", "value": "cheap"}})
    assert "filter.greaterThan.value must be a number" in caught.value.response["Error"]["Message"]
    with pytest.raises(agent.exceptions.ValidationException) as caught:
        agent.retrieve(knowledgeBaseId=kb["id"], retrievalQuery={"text": "x"}, nextToken="bogus")
    assert "nextToken" in caught.value.response["Error"]["Message"]


def test_cli_search_and_recommend(double_server, kb):
    results = json.loads(run(double_server, "kb", "search", kb["id"], "--text", "colour:000000", "-k", "1", "--json"))
    assert results[0]["metadata"]["colour"] == "black"
    red = str(kb["folder"] / "red.png")
    recommended = json.loads(
        run(double_server, "kb", "recommend", kb["id"], red, "--not", str(kb["folder"] / "notes.txt"), "--json")
    )
    uris = [r["uri"] for r in recommended]
    assert not any(u.endswith(("red.png", "notes.txt")) for u in uris)
    assert [r["score"] for r in recommended] == sorted((r["score"] for r in recommended), reverse=True)


def test_recommend_moves_towards_positives(double_server, kb):
    """With the text doc (same vector as red) as positive, the red image must be the first recommendation."""
    reply = json.loads(run(double_server, "kb", "recommend", kb["id"], str(kb["folder"] / "notes.txt"), "--json"))
    assert reply[0]["metadata"]["colour"] == "red"


def test_heatmap_png(double_server, kb, tmp_path):
    items = [str(kb["folder"] / f"{c}.png") for c in ("red", "green", "blue")]
    out = tmp_path / "heat.png"
    run(double_server, "kb", "heatmap", kb["id"], *items, str(kb["folder"] / "notes.txt"), "--out", str(out))
    image = Image.open(out)
    assert image.format == "PNG"
    assert image.size[0] > 4 * 48


def test_incremental_reingest_and_cache(double_server, kb):
    folder = kb["folder"]
    Image.new("RGB", (64, 48), "#123456").save(folder / "navy.png")  # added
    (folder / "white.png").unlink()  # deleted
    (folder / "green.png.metadata.json").write_text(json.dumps({"metadataAttributes": {"colour": "lime"}}))  # changed
    calls_before = sum(double_embedder.CALLS)
    report = json.loads(run(double_server, "kb", "ingest", kb["id"], str(folder), "--json"))["report"]
    assert (report["added"], report["changed"], report["deleted"], report["unchanged"]) == (1, 1, 1, 4)
    assert report["items"] == 6
    # The changed document's image bytes are unchanged, so its vector comes from the cache: one model call total.
    assert sum(double_embedder.CALLS) - calls_before == 1
    agent = double_server.client("bedrock-agent-runtime")
    top = retrieve(agent, kb["id"], {"text": "colour:00ff00"})["retrievalResults"][0]
    assert top["metadata"]["colour"] == "lime"
    white = retrieve(agent, kb["id"], {"text": "colour:ffffff"}, numberOfResults=10)["retrievalResults"]
    assert all(r["metadata"].get("colour") != "white" for r in white)


def test_native_api_list_and_errors(double_server, kb):
    import httpx

    listing = httpx.get(f"{double_server.url}/v1/knowledge-bases").json()["knowledgeBases"]
    assert any(k["id"] == kb["id"] and k["dimension"] == 1024 for k in listing)
    bad = httpx.post(f"{double_server.url}/v1/knowledge-bases", json={"name": "x", "dimension": 512})
    assert bad.status_code == 400
    assert bad.headers["x-amzn-ErrorType"] == "ValidationException"
    assert "256, 384, 1024" in bad.json()["message"]
    wrong_model = httpx.post(
        f"{double_server.url}/v1/knowledge-bases", json={"name": "y", "model_id": "amazon.nova-canvas-v1:0"}
    )
    assert "not an embedding model" in wrong_model.json()["message"]
    missing = httpx.post(
        f"{double_server.url}/v1/knowledge-bases/{kb['id']}/ingestions", json={"source": "/no/such/dir"}
    )
    assert missing.status_code == 400
    assert "does not exist" in missing.json()["message"]


def test_cli_errors_exit_nonzero(double_server):
    result = CliRunner().invoke(cli, ["--url", double_server.url, "kb", "delete", "NOSUCHKB01"])
    assert result.exit_code == 1
    assert "ResourceNotFoundException" in result.output
    offline = CliRunner().invoke(cli, ["--url", "http://127.0.0.1:9", "kb", "list"])
    assert offline.exit_code == EXIT_NO_SERVER
    assert "outcrop serve" in offline.output


def test_native_items_listing(double_server, kb):
    import httpx

    listed = httpx.get(f"{double_server.url}/v1/knowledge-bases/{kb['id']}/items").json()["items"]
    assert len(listed) == httpx.get(f"{double_server.url}/v1/knowledge-bases/{kb['id']}").json()["items"]
    assert all(item["score"] is None and item["location"]["type"] == "CUSTOM" for item in listed)
    assert {item["kind"] for item in listed} == {"IMAGE", "TEXT"}
