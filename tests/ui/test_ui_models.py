"""Models page: the catalog table lists Nova Canvas with its installed state and a pull button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect
from ui_helpers import open_page


def test_models_page_lists_nova_canvas(page: Any, api: httpx.Client, artifacts: Path) -> None:
    catalog = {m["modelId"]: m for m in api.get("/v1/models").json()["models"]}
    open_page(page, "models")
    row = page.locator("tr[data-model-id='amazon.nova-canvas-v1:0']")
    expect(row).to_be_visible()
    expect(row.get_by_role("rowheader")).to_have_text("amazon.nova-canvas-v1:0")
    installed = "installed" if catalog["amazon.nova-canvas-v1:0"]["installed"] else "not installed"
    expect(row.get_by_test_id("model-installed")).to_have_text(installed)
    expect(row.get_by_role("button", name="Pull amazon.nova-canvas-v1:0")).to_be_enabled()
    expect(page.get_by_test_id("model-row")).to_have_count(len(catalog))
    expect(page.get_by_test_id("models-profile")).to_contain_text("Profile tiny")
    expect(page.locator("#profile")).to_have_text("tiny profile: seeded test models, outputs are noise")
    page.screenshot(path=artifacts / "models.png", full_page=True)


def test_ui_redirects_and_serves_modules(api: httpx.Client) -> None:
    redirect = api.get("/ui")
    assert redirect.status_code == 307 and redirect.headers["location"] == "/ui/"
    assert api.get("/ui/js/api.js").headers["content-type"].startswith("text/javascript")
    missing = api.get("/ui/../pyproject.toml")
    assert missing.status_code == 404
    assert api.get("/ui/%2e%2e/api/app.py").status_code == 404
