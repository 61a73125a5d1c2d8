"""Byte progress of a download, reported through the LogFn a fetcher already receives.

A LogFn that also has a `transfer(label, total, done)` method (the CLI's progress bars) gets a `Transfer` per
download; a plain LogFn (the server's pull log, tests) gets a line at each tenth of the file instead, so that a
pull of hundreds of MB is never silent. Sizes may be unknown (total None) and may grow while a download runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

from outcrop.catalog.sources.base import LogFn

_UNKNOWN_STEP = 100 * 1024 * 1024  # without a total, a line every 100 MiB


class Transfer(Protocol):
    def update(self, done: int, total: int | None = None) -> None:
        """`done` bytes so far (absolute); `total` when it is known or has changed."""


@runtime_checkable
class TransferLog(Protocol):
    def __call__(self, line: str) -> None: ...

    def transfer(self, label: str, total: int | None, done: int) -> Transfer:
        """Start showing one download; `finish` ends it."""

    def finish(self, transfer: Transfer) -> None: ...


class Meter:
    """What a fetcher holds during a download: counts bytes and forwards them to the display."""

    def __init__(self, sink: Transfer, done: int, total: int | None) -> None:
        self._sink, self.done, self.total = sink, done, total

    def advance(self, count: int) -> None:
        self.done += count
        self._sink.update(self.done, self.total)

    def update(self, done: int, total: int | None = None) -> None:
        self.done, self.total = done, total if total is not None else self.total
        self._sink.update(self.done, self.total)


@contextmanager
def metered(log: LogFn, label: str, total: int | None, done: int = 0) -> Iterator[Meter]:
    """Show the progress of one download of `total` bytes (None: unknown), `done` of them already on disk."""
    if isinstance(log, TransferLog):
        shown = log.transfer(label, total, done)
        try:
            yield Meter(shown, done, total)
        finally:
            log.finish(shown)
        return
    lines = _Lines(log, label, done)
    meter = Meter(lines, done, total)
    yield meter
    lines.close(meter.done)


class _Lines:
    """Progress as log lines: one at each tenth of the total (or each 100 MiB), and one at the end."""

    def __init__(self, log: LogFn, label: str, start: int) -> None:
        self._log, self._label, self._start, self._began = log, label, start, time.monotonic()
        self._next_step = 1
        if start:
            log(f"{label}: resuming after {size_text(start)}")

    def update(self, done: int, total: int | None = None) -> None:
        step = _UNKNOWN_STEP if not total else max(total // 10, 1)
        if done >= self._next_step * step and (not total or done < total):
            shown = f"{done * 100 // total}% of {size_text(total)}" if total else size_text(done)
            self._log(f"{self._label}: {shown} ({self._rate(done)})")
            self._next_step = done // step + 1

    def close(self, done: int) -> None:
        self._log(f"{self._label}: {size_text(done)} ({self._rate(done)})")

    def _rate(self, done: int) -> str:
        seconds = max(time.monotonic() - self._began, 1e-3)
        return f"{size_text(int((done - self._start) / seconds))}/s"


def size_text(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"
