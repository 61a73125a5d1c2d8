"""What one Bedrock model family is, as data: how its InvokeModel and StartAsyncInvoke bodies become typed Tasks,
how its results go back on the wire, and which job handler runs its async work.

Each family lives in its own package under `outcrop.families` and exposes its `WireFamily` values; `registry.py`
lists them all. Every door (the Bedrock wire, the native REST API, the OpenAI-compatible API, the CLI and the UI)
validates through the same parsers into the same Tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from outcrop.catalog.model import Family, ModelEntry
from outcrop.tasks import Task

Json = dict[str, Any]
Body = Mapping[str, Any]
InvokeParser = Callable[[ModelEntry, Body], Task]
# A job's input: a Task, or a job-only description such as a segmented embedding
AsyncParser = Callable[[ModelEntry, Body], object]
InvokeEncoder = Callable[[ModelEntry, Task, object, Body], Json]
HeaderFn = Callable[[object], dict[str, str]]


class JobKind(StrEnum):
    """Which job handler (in `outcrop.services`) runs a family's StartAsyncInvoke work."""

    VIDEO = "video"
    SEGMENTED_EMBEDDING = "segmented-embedding"


def no_headers(result: object) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class WireFamily:
    """One family's wire behaviour.

    `parse_invoke` / `encode_invoke` serve InvokeModel (None: the family answers only StartAsyncInvoke, and
    `invoke_refusal` says so). `parse_async` validates a StartAsyncInvoke `modelInput` into the Task its job will
    run (the job re-parses the stored input with it), and `job` names the handler that runs it. `headers` adds
    the response headers Bedrock sends for a result (token counts).
    """

    family: Family
    parse_invoke: InvokeParser | None = None
    encode_invoke: InvokeEncoder | None = None
    parse_async: AsyncParser | None = None
    job: JobKind | None = None
    headers: HeaderFn = no_headers
    invoke_refusal: str = (
        "{model} is available only through StartAsyncInvoke; call start_async_invoke with this body as modelInput."
    )

    def __post_init__(self) -> None:
        if (self.parse_invoke is None) != (self.encode_invoke is None):
            raise ValueError(f"{self.family}: parse_invoke and encode_invoke come together")
        if (self.parse_async is None) != (self.job is None):
            raise ValueError(f"{self.family}: parse_async and job come together")
