"""Outcrop: a self-hosted, Amazon Bedrock-compatible image and multimodal AI server.

Importing this package never imports torch; models load lazily when a request needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
_SDK_NAMES = frozenset({"AsyncClient", "Client", "InProcessClient"})


def __getattr__(name: str) -> Any:
    # The SDK (httpx, PIL, numpy) loads on first use, so `import outcrop` and `outcrop --version` stay light. It is
    # imported by name because the layers contract forbids lower layers (which import `outcrop`) to import the SDK;
    # for static types import from `outcrop.sdk`.
    if name in _SDK_NAMES:
        return getattr(importlib.import_module("outcrop.sdk"), name)
    raise AttributeError(f"module 'outcrop' has no attribute {name!r}")


__all__ = ["AsyncClient", "Client", "InProcessClient", "__version__"]
