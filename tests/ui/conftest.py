"""Browser tests of the web UI: Debian's headless Chromium driven by Playwright against a live tiny-profile server.

The server is this folder's own (its review queue, knowledge bases and jobs are not shared with other tests).
Screenshots go to $OUTCROP_TEST_ARTIFACTS, or tests/ui/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.live_server import LiveServer, start_server

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("ui-home")
    # Job progress is stored at each lease heartbeat (a third of the lease): a short lease lets the video page show
    # the bar moving during a tiny-profile job of a few seconds.
    with start_server(home=home, models_dir=models_dir, profile="tiny", job_lease_s=3.0) as server:
        yield server


@pytest.fixture(scope="session")
def api(ui_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=ui_server.url, timeout=120) as client:
        yield client


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = Path(os.environ.get("OUTCROP_TEST_ARTIFACTS", HERE / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("The playwright package is missing: run `pip install -e '.[dev]'` (not `playwright install`).")
    with sync_playwright() as playwright:
        # --no-sandbox: CI and these machines run tests as root, where Chromium's sandbox refuses to start.
        # Debian's Chromium where it is installed, else Playwright's own (`make test-deps` installs one of them).
        executable = str(CHROMIUM) if CHROMIUM.is_file() else None
        try:
            chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        except Exception as error:  # playwright's own error type varies by version; the message says what is missing
            pytest.fail(f"No Chromium to drive: run `make test-deps` ({error}).")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, ui_server: LiveServer) -> Iterator[Any]:
    """A fresh browser tab on the server; the test fails if the page throws an uncaught JavaScript error."""
    context = browser.new_context(base_url=ui_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
