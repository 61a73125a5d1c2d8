"""`outcrop models pull`'s display: a rich progress bar per download (bytes, rate, time left) on a terminal, the
sources' progress lines elsewhere (a pipe or a CI log gets text, not redrawn bars)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from outcrop.catalog.sources.base import LogFn


class Bar:
    """One download's row in the display."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self._progress.update(self._task, total=total)
        self._progress.update(self._task, completed=done)


class PullDisplay:
    """A LogFn (lines are printed above the bars) whose `transfer` adds a bar per download."""

    def __init__(self, console: Console) -> None:
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                   TimeRemainingColumn(), TimeElapsedColumn())  # fmt: skip
        self._progress = Progress(*columns, console=console)

    def __call__(self, line: str) -> None:
        self._progress.console.print(escape(line), highlight=False)

    def transfer(self, label: str, total: int | None, done: int) -> Bar:
        return Bar(self._progress, self._progress.add_task(escape(label), total=total, completed=done))

    def finish(self, transfer: object) -> None:
        """Bars stay on screen, complete, as a record of what was fetched."""

    @contextmanager
    def shown(self) -> Iterator[PullDisplay]:
        with self._progress:
            yield self


@contextmanager
def pull_display(console: Console | None = None) -> Iterator[LogFn]:
    """Bars when stderr is a terminal; otherwise the plain lines (progress every tenth of each file)."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield lambda line: console.print(escape(line), highlight=False, soft_wrap=True)
        return
    with PullDisplay(console).shown() as display:
        yield display
