"""Generate page: prompt and settings go out as a GenerationConfig; the images and the seed come back on screen;
a refused request shows the server's own message."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import expect
from ui_helpers import open_page


def test_generated_images_appear_with_their_seed(page: Any, artifacts: Path) -> None:
    ui = open_page(page, "generate")
    ui.get_by_label("Prompt", exact=True).fill("a lighthouse on a cliff at dusk")
    ui.get_by_label("Negative prompt").fill("blurry")
    ui.get_by_label("Size").select_option("320x320")
    ui.get_by_label("Count").fill("2")
    ui.get_by_label("Seed").fill("1234")
    ui.get_by_label("CFG scale").fill("7")
    ui.get_by_label("Quality").select_option("premium")
    expect(ui.get_by_label("Model")).to_have_value("amazon.nova-canvas-v1:0")
    with page.expect_request("**/v1/images/generate") as sent:
        ui.get_by_role("button", name="Generate", exact=True).click()
    body = sent.value.post_data_json
    assert body["prompt"] == "a lighthouse on a cliff at dusk" and body["negativePrompt"] == "blurry"
    assert body["config"] == {"numberOfImages": 2, "quality": "premium", "cfgScale": 7, "seed": 1234,
                              "width": 320, "height": 320}  # fmt: skip
    images = ui.get_by_test_id("image-result").locator("img")
    expect(images).to_have_count(2, timeout=120_000)
    expect(ui.get_by_test_id("generate-seed")).to_have_text("Seed 1234 (images use 1234, 1235)")
    expect(images.first).to_have_attribute("alt", "Generated image 1, seed 1234")
    src = images.first.get_attribute("src")
    assert Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).size == (320, 320)
    assert images.first.evaluate("img => img.complete && img.naturalWidth") == 320
    page.screenshot(path=artifacts / "generate.png", full_page=True)


def test_empty_seed_gets_a_random_seed_that_is_shown(page: Any) -> None:
    ui = open_page(page, "generate")
    ui.get_by_label("Prompt", exact=True).fill("a teapot")
    ui.get_by_label("Size").select_option("320x320")
    with page.expect_request("**/v1/images/generate") as sent:
        ui.get_by_role("button", name="Generate", exact=True).click()
    seed = sent.value.post_data_json["config"]["seed"]
    expect(ui.get_by_test_id("generate-seed")).to_have_text(f"Seed {seed}", timeout=120_000)


def test_palette_makes_a_colour_guided_request(page: Any) -> None:
    ui = open_page(page, "generate")
    ui.get_by_label("Prompt", exact=True).fill("a vase")
    ui.get_by_label("Size").select_option("320x320")
    for colour in ("#FF0000", "00ff00"):
        ui.get_by_label("Palette: hex colour").fill(colour)
        ui.get_by_role("button", name="Palette: add colour").click()
    expect(ui.get_by_test_id("gen-palette").get_by_role("button", name="Remove #00FF00")).to_be_visible()
    with page.expect_request("**/v1/images/recolor") as sent:
        ui.get_by_role("button", name="Generate", exact=True).click()
    assert sent.value.post_data_json["colors"] == ["#FF0000", "#00FF00"]
    expect(ui.get_by_test_id("image-result")).to_have_count(1, timeout=120_000)


def test_server_error_message_is_shown(page: Any) -> None:
    ui = open_page(page, "generate")
    ui.get_by_label("Prompt", exact=True).fill("a lamp")
    ui.get_by_label("CFG scale").fill("25")
    with page.expect_response("**/v1/images/generate") as answer:
        ui.get_by_role("button", name="Generate", exact=True).click()
    assert answer.value.status == 400
    message = answer.value.json()["message"]
    assert "cfgScale" in message
    expect(ui.get_by_test_id("generate-error")).to_have_text(message)
    expect(ui.get_by_test_id("image-result")).to_have_count(0)
