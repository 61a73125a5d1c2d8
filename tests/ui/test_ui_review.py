"""Review page: generated images wait in the pending queue; approving or rejecting (with a reason) one moves it
out of the queue, and a rejection without a reason shows the server's message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect
from ui_helpers import open_page


def pending(api: httpx.Client) -> list[dict[str, Any]]:
    assets: list[dict[str, Any]] = api.get("/v1/review/assets", params={"status": "pending"}).json()["assets"]
    return assets


def generate(api: httpx.Client, count: int) -> None:
    body = {"prompt": "a bowl of pears", "config": {"numberOfImages": count, "width": 320, "height": 320, "seed": 3}}
    reply = api.post("/v1/images/generate", json=body)
    assert reply.status_code == 200, reply.text


def test_approve_and_reject_move_assets_out_of_the_queue(page: Any, api: httpx.Client, artifacts: Path) -> None:
    generate(api, 2)
    queue = pending(api)
    assert len(queue) >= 2
    ui = open_page(page, "review")
    cards = ui.get_by_test_id("review-asset")
    expect(cards).to_have_count(len(queue))
    expect(ui.get_by_test_id("review-status-line")).to_have_text(f"{len(queue)} pending assets")
    first, second = [a["id"] for a in queue if a["mediaType"] == "image/png"][:2]  # video jobs queue videos too
    image = ui.get_by_role("img", name=f"Image asset {first}")
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=artifacts / "review.png", full_page=True)

    ui.get_by_label("Reviewer").fill("alice")
    with page.expect_response(f"**/v1/review/assets/{first}/approve") as answer:
        ui.get_by_role("button", name=f"Approve asset {first}").click()
    assert answer.value.status == 200
    expect(ui.locator(f"li[data-asset-id='{first}']")).to_have_count(0)
    expect(cards).to_have_count(len(queue) - 1)
    decided = api.get(f"/v1/review/assets/{first}").json()
    assert decided["status"] == "approved" and decided["reviewer"] == "alice"

    with page.expect_response(f"**/v1/review/assets/{second}/reject") as answer:
        ui.get_by_role("button", name=f"Reject asset {second}").click()
    assert answer.value.status == 400
    card = ui.locator(f"li[data-asset-id='{second}']")
    expect(card.get_by_role("alert")).to_have_text(answer.value.json()["message"])
    card.get_by_label(f"Reason for asset {second}").fill("pears look wrong")
    card.get_by_role("button", name=f"Reject asset {second}").click()
    expect(card).to_have_count(0)
    decided = api.get(f"/v1/review/assets/{second}").json()
    assert decided["status"] == "rejected" and decided["note"] == "pears look wrong"

    assert {a["id"] for a in pending(api)}.isdisjoint({first, second})
    ui.get_by_role("button", name="Refresh queue").click()
    expect(cards).to_have_count(len(queue) - 2)
    ui.get_by_label("Show").select_option("approved")
    expect(ui.locator(f"li[data-asset-id='{first}']")).to_contain_text("approved by alice")
