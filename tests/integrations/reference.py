"""The request every client test sends, so each client's answer can be compared with plain boto3's."""

from __future__ import annotations

PROMPT = "Write one line about a teal mug."
SYSTEM = "You write catalogue copy."
CHAT_MODEL = "amazon.nova-micro-v1:0"
MAX_TOKENS = 30
