"""Edit page: a mask painted by dragging the mouse goes out as a black-on-white PNG the size of the image; inpaint,
remove background and recolour results appear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import expect
from ui_helpers import decode_png, open_page, png_bytes

WIDTH, HEIGHT = 512, 384


def load_picture(page: Any) -> Any:
    ui = open_page(page, "edit")
    ui.get_by_label("Image", exact=True).set_input_files(
        {"name": "room.png", "mimeType": "image/png", "buffer": png_bytes(WIDTH, HEIGHT)}
    )
    expect(ui.get_by_test_id("edit-stage")).to_have_class("stage loaded")
    return ui


def drag(page: Any, canvas: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag across the canvas; points are fractions of its on-screen box."""
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    for step in range(1, 11):
        t = step / 10
        x = start[0] + (end[0] - start[0]) * t
        y = start[1] + (end[1] - start[1]) * t
        page.mouse.move(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
    page.mouse.up()


def test_painted_mask_is_sent_with_inpaint(page: Any, artifacts: Path) -> None:
    ui = load_picture(page)
    ui.get_by_label("Brush size").fill("30")
    canvas = ui.get_by_test_id("mask-canvas")
    drag(page, canvas, (0.25, 0.5), (0.75, 0.5))
    expect(ui.get_by_test_id("edit-stage")).to_have_attribute("data-painted", "true")
    ui.get_by_label("Prompt", exact=True).fill("a cat on the sofa")
    ui.get_by_label("Seed").fill("5")
    with page.expect_request("**/v1/images/inpaint") as sent:
        ui.get_by_role("button", name="Inpaint").click()
    body = sent.value.post_data_json
    assert "maskPrompt" not in body and body["prompt"] == "a cat on the sofa" and body["config"]["seed"] == 5
    assert decode_png(body["image"]).size == (WIDTH, HEIGHT)
    mask = np.asarray(decode_png(body["mask"]).convert("L"))
    assert mask.shape == (HEIGHT, WIDTH)
    assert set(np.unique(mask)) == {0, 255}  # black = painted, white = keep
    rows, cols = np.nonzero(mask == 0)
    # The stroke ran along the middle row from 1/4 to 3/4 of the width, 30 CSS px wide.
    assert abs(rows.mean() - HEIGHT / 2) < 5
    assert cols.min() < WIDTH * 0.25 and cols.max() > WIDTH * 0.75
    assert cols.min() > WIDTH * 0.1 and cols.max() < WIDTH * 0.9
    assert mask[HEIGHT // 2, WIDTH // 2] == 0 and mask[10, 10] == 255
    result = ui.get_by_test_id("image-result").locator("img")
    expect(result).to_have_count(1, timeout=120_000)
    src = result.first.get_attribute("src")
    assert decode_png(src.split(",", 1)[1]).size == (WIDTH, HEIGHT)
    expect(ui.get_by_test_id("edit-status")).to_contain_text("inpaint done")
    page.screenshot(path=artifacts / "edit.png", full_page=True)


def test_clear_then_mask_prompt_and_missing_mask_message(page: Any) -> None:
    ui = load_picture(page)
    drag(page, ui.get_by_test_id("mask-canvas"), (0.4, 0.4), (0.6, 0.6))
    ui.get_by_role("button", name="Clear mask").click()
    expect(ui.get_by_test_id("edit-stage")).to_have_attribute("data-painted", "false")
    ui.get_by_role("button", name="Inpaint").click()
    expect(ui.get_by_test_id("edit-error")).to_contain_text("Paint the region")
    ui.get_by_label("Mask prompt").fill("the middle")
    ui.get_by_label("Prompt", exact=True).fill("a window")
    with page.expect_request("**/v1/images/outpaint") as sent:
        ui.get_by_role("button", name="Outpaint").click()
    body = sent.value.post_data_json
    assert body["maskPrompt"] == "the middle" and "mask" not in body and body["mode"] == "DEFAULT"
    expect(ui.get_by_test_id("image-result")).to_have_count(1, timeout=120_000)
    expect(ui.get_by_test_id("edit-error")).to_be_hidden()


def test_remove_background_and_recolour(page: Any) -> None:
    ui = load_picture(page)
    ui.get_by_role("button", name="Remove background").click()
    result = ui.get_by_test_id("image-result").locator("img")
    expect(result).to_have_count(1, timeout=120_000)
    assert decode_png(result.first.get_attribute("src").split(",", 1)[1]).mode == "RGBA"
    ui.get_by_label("Prompt", exact=True).fill("the same room in autumn colours")
    ui.get_by_label("Palette: hex colour").fill("#AA5500")
    ui.get_by_role("button", name="Palette: add colour").click()
    with page.expect_response("**/v1/images/recolor") as answer:
        ui.get_by_role("button", name="Recolour").click()
    request = answer.value.request.post_data_json
    assert request["colors"] == ["#AA5500"] and decode_png(request["referenceImage"]).size == (WIDTH, HEIGHT)
    assert answer.value.status == 200, answer.value.text()
    expect(ui.get_by_test_id("edit-status")).to_contain_text("recolor done")
    expect(result).to_have_count(1)
