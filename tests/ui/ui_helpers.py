"""Helpers shared by the browser tests (kept out of conftest so test modules can import them)."""

from __future__ import annotations

import base64
import io
import time
from typing import Any

from PIL import Image


def open_page(tab: Any, name: str) -> Any:
    """Open one page of the UI; returns the locator of its <section> (labels repeat across pages)."""
    tab.goto(f"/ui/#{name}")
    tab.wait_for_selector("body[data-ready=true]")
    tab.wait_for_selector(f"#page-{name}:not([hidden])")
    return tab.locator(f"#page-{name}")


def png_bytes(width: int, height: int, color: tuple[int, int, int] = (120, 160, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_png(b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def wait_for(check: Any, timeout_s: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached in {timeout_s} s")
