"""AWS event-stream framing (application/vnd.amazon.eventstream), the encoding side botocore decodes.

A message is: total length and headers length (big-endian uint32 each), the CRC32 of those 8 bytes, the headers,
the payload, and the CRC32 of everything before it. Headers here are all strings (value type 7).
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING = 7


def _headers(values: dict[str, str]) -> bytes:
    out = bytearray()
    for name, value in values.items():
        raw_name, raw_value = name.encode(), value.encode()
        out += struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", _STRING, len(raw_value)) + raw_value
    return bytes(out)


def message(headers: dict[str, str], payload: bytes) -> bytes:
    head = _headers(headers)
    prelude = struct.pack("!II", 12 + len(head) + len(payload) + 4, len(head))
    body = prelude + struct.pack("!I", zlib.crc32(prelude)) + head + payload
    return body + struct.pack("!I", zlib.crc32(body))


def event(event_type: str, payload: dict[str, Any]) -> bytes:
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return message(headers, json.dumps(payload).encode())


def exception(exception_type: str, text: str) -> bytes:
    """An error after the stream started; botocore raises it as `exception_type` (e.g. modelStreamErrorException)."""
    headers = {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"}
    return message(headers, json.dumps({"message": text}).encode())
