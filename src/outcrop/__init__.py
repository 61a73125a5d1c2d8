"""Outcrop: a self-hosted, Amazon Bedrock-compatible image and multimodal AI server.

Importing this package never imports torch; models load lazily when a request needs them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
