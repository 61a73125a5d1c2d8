"""Search page: a knowledge base ingested through the native API is searched by text and by an uploaded image;
results show thumbnails and scores, and "More like this" asks for recommendations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect
from ui_helpers import open_page, png_bytes, wait_for

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 60), "blue": (30, 60, 220), "yellow": (230, 210, 40)}


@pytest.fixture(scope="module")
def knowledge_base(api: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("ui-catalog")
    for name, colour in COLOURS.items():
        Image.new("RGB", (96, 64), colour).save(folder / f"{name}.png")
    created = api.post("/v1/knowledge-bases", json={"name": "ui-swatches"})
    assert created.status_code == 201, created.text
    kb = created.json()
    run = api.post(f"/v1/knowledge-bases/{kb['id']}/ingestions", json={"source": str(folder)})
    assert run.status_code == 202, run.text

    def finished() -> dict[str, Any] | None:
        state: dict[str, Any] = api.get(f"/v1/knowledge-bases/{kb['id']}/ingestions/{run.json()['id']}").json()
        return state if state["status"] not in ("STARTING", "IN_PROGRESS") else None

    report = wait_for(finished, 120, "ingestion")
    assert report["status"] == "COMPLETE", report
    return {**kb, "folder": folder}


def choose(ui: Any, kb: dict[str, Any]) -> None:
    select = ui.get_by_label("Knowledge base")
    expect(select.locator(f"option[value='{kb['id']}']")).to_have_count(1)
    select.select_option(kb["id"])


def test_text_search_shows_thumbnails_and_scores(page: Any, knowledge_base: dict[str, Any], artifacts: Path) -> None:
    ui = open_page(page, "search")
    choose(ui, knowledge_base)
    expect(ui.get_by_label("Knowledge base").locator("option:checked")).to_have_text("ui-swatches (4 items)")
    ui.get_by_label("Text query").fill("a red square")
    ui.get_by_label("Number of results").fill("3")
    ui.get_by_role("button", name="Search").click()
    cards = ui.get_by_test_id("search-result")
    expect(cards).to_have_count(3, timeout=60_000)
    expect(ui.get_by_test_id("search-status")).to_have_text("3 results for “a red square”")
    for i in range(3):
        expect(cards.nth(i).get_by_test_id("search-score")).to_have_text(re.compile(r"^score -?\d\.\d{3}$"))
        thumb = cards.nth(i).get_by_role("img")
        thumb.evaluate("img => img.decode()")
        assert thumb.evaluate("img => img.naturalWidth") == 96
    names = {cards.nth(i).get_by_role("img").get_attribute("alt") for i in range(3)}
    assert names <= {f"{n}.png" for n in COLOURS}
    page.screenshot(path=artifacts / "search.png", full_page=True)


def test_image_query_and_more_like_this(page: Any, knowledge_base: dict[str, Any]) -> None:
    ui = open_page(page, "search")
    choose(ui, knowledge_base)
    query = {"name": "query.png", "mimeType": "image/png", "buffer": png_bytes(40, 40, COLOURS["blue"])}
    ui.get_by_label("Image query").set_input_files(query)
    with page.expect_request("**/search") as sent:
        ui.get_by_role("button", name="Search").click()
    assert sent.value.post_data_json["image"] and "text" not in sent.value.post_data_json
    cards = ui.get_by_test_id("search-result")
    expect(cards).to_have_count(4, timeout=60_000)
    first = cards.first.get_by_role("img").get_attribute("alt")
    with page.expect_request("**/recommend") as asked:
        cards.first.get_by_role("button", name=f"More like {first}").click()
    assert len(asked.value.post_data_json["positive"]) == 1
    expect(ui.get_by_test_id("search-status")).to_have_text(
        re.compile(rf"^\d+ results? for more like {re.escape(first)}$")
    )
    expect(cards.first).to_be_visible()


def test_unknown_knowledge_base_shows_the_server_message(page: Any, knowledge_base: dict[str, Any]) -> None:
    ui = open_page(page, "search")
    choose(ui, knowledge_base)
    ui.get_by_label("Knowledge base").evaluate("select => { select.options[select.selectedIndex].value = 'nokb'; }")
    ui.get_by_label("Text query").fill("anything")
    with page.expect_response("**/v1/knowledge-bases/nokb/search") as answer:
        ui.get_by_role("button", name="Search").click()
    assert answer.value.status == 404
    expect(ui.get_by_test_id("search-error")).to_have_text(answer.value.json()["message"])
