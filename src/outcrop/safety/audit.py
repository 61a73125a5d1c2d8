"""An append-only audit log: one JSON object per line (who, action, asset, time, details).

The file is only ever opened in append mode and each entry is written with a single `write` of one line, so
earlier lines are never rewritten and concurrent writers (threads, or several server processes sharing a home)
cannot interleave inside a line on a local filesystem.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    action: str
    asset_id: str
    time: float
    details: dict[str, Any] = field(default_factory=dict)


class AuditLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()

    def append(self, actor: str, action: str, asset_id: str, details: Mapping[str, Any] | None = None) -> AuditEntry:
        entry = AuditEntry(actor, action, asset_id, time.time(), dict(details or {}))
        line = json.dumps(asdict(entry), sort_keys=True) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            # An audit trail that a crash can lose is not one: the line reaches the disk before we answer.
            os.fsync(handle.fileno())
        return entry

    def entries(self, asset_id: str | None = None) -> list[AuditEntry]:
        """Every entry in the order written (optionally for one asset)."""
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as handle:
            found = [AuditEntry(**json.loads(line)) for line in handle if line.strip()]
        return [e for e in found if asset_id is None or e.asset_id == asset_id]
