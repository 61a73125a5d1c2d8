"""Native REST API for the model catalog: what serves each model id, where it runs and whether it is loaded (as
`outcrop models list` shows); load, unload, pin and unpin; and pulls of weights that run in a background thread
while the caller polls their status."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from outcrop.api.bedrock.request import state_of
from outcrop.catalog import Binding, Catalog, ModelEntry
from outcrop.catalog.pull import PullError, pull, resolve_weights_name
from outcrop.errors import ResourceNotFoundError, ValidationError
from outcrop.runtime.executor import Executor
from outcrop.tasks import TaskKind

router = APIRouter(prefix="/v1/models", tags=["models"])


class PullRequest(BaseModel):
    names: list[str] = Field(min_length=1, description="Weights names or Bedrock model ids, e.g. isnet-general-small")


@dataclass
class Pull:
    """One background pull; `log` collects the progress lines the fetchers write."""

    id: str
    names: list[str]
    status: str = "InProgress"  # InProgress | Completed | Failed
    log: list[str] = field(default_factory=list)
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "names": self.names, "status": self.status, "log": self.log[-50:],
                "error": self.error, "startedAt": self.started_at, "endedAt": self.ended_at}  # fmt: skip


class Pulls:
    """Pulls of this server process, kept in memory: a restart forgets them, the installed weights stay."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pulls: dict[str, Pull] = {}

    def start(self, catalog: Catalog, names: list[str]) -> Pull:
        weights = [_weights_name(catalog, name) for name in names]  # refuse unknown names before starting
        job = Pull(id=f"pull-{secrets.token_hex(6)}", names=weights)
        with self._lock:
            self._pulls[job.id] = job
        threading.Thread(target=self._run, args=(catalog, job), name=job.id, daemon=True).start()
        return job

    def get(self, pull_id: str) -> Pull:
        with self._lock:
            job = self._pulls.get(pull_id)
        if job is None:
            raise ResourceNotFoundError(f"No pull '{pull_id}' on this server; start one with POST /v1/models/pull.")
        return job

    @staticmethod
    def _run(catalog: Catalog, job: Pull) -> None:
        try:
            for name in job.names:
                pull(catalog, name, job.log.append)
        except (PullError, OSError) as exc:
            job.error, job.status = str(exc), "Failed"
        else:
            job.status = "Completed"
        job.ended_at = time.time()


def _weights_name(catalog: Catalog, name: str) -> str:
    try:
        return resolve_weights_name(catalog, name)
    except PullError as exc:
        raise ValidationError(str(exc)) from exc


def _pulls(request: Request) -> Pulls:
    # Lives on the app (not a module global) so two apps in one process, as in tests, keep separate pulls.
    pulls: Pulls | None = getattr(request.app.state, "outcrop_pulls", None)
    if pulls is None:
        pulls = request.app.state.outcrop_pulls = Pulls()
    return pulls


def model_json(executor: Executor, entry: ModelEntry) -> dict[str, Any]:
    tasks = {str(kind): [_binding_json(executor, entry, kind, b) for b in bs] for kind, bs in entry.bindings.items()}
    serving = [b for bindings in tasks.values() for b in bindings if b["serving"]]
    return {"modelId": entry.model_id, "name": entry.name, "provider": entry.provider, "family": str(entry.family),
            "lifecycle": str(entry.lifecycle), "inputModalities": list(entry.input_modalities),
            "outputModalities": list(entry.output_modalities), "tasks": tasks,
            "installed": bool(tasks) and all(any(b["installed"] for b in c) for c in tasks.values()),
            "resident": bool(serving) and all(b["resident"] for b in serving)}  # fmt: skip


def _binding_json(executor: Executor, entry: ModelEntry, kind: TaskKind, binding: Binding) -> dict[str, Any]:
    catalog = executor.catalog
    return {"backend": binding.backend, "weights": binding.weights, "installed": catalog.installed(binding.weights),
            "serving": binding == catalog.binding(entry, kind), **_placement_json(executor, binding)}  # fmt: skip


def _placement_json(executor: Executor, binding: Binding) -> dict[str, Any]:
    """Where the binding runs (as resolved so far) and whether its model is loaded now."""
    placement, info = executor.placement(binding), executor.resident(binding)
    loaded = info is not None and info.loaded
    return {"device": info.device if info else placement.device, "dtype": info.dtype if info else placement.dtype,
            "resident": loaded, "pinned": info is not None and info.pinned,
            "bytes": info.bytes if info else 0}  # fmt: skip


@router.get("")
def list_models(request: Request) -> dict[str, Any]:
    """Every catalog model: family, tasks, and per task which weights serve it, whether they are installed, where
    they run (device, dtype) and whether they are loaded now."""
    executor = state_of(request).executor
    models = [model_json(executor, e) for e in executor.catalog.models.values()]
    return {"profile": executor.catalog.profile, "models": models}


@router.post("/{model_id}/load")
async def load_model(request: Request, model_id: str) -> dict[str, Any]:
    """Load the model's serving weights now (instead of on the first request); answers once they are loaded."""
    executor, entry = _model(request, model_id)
    await _wait(await asyncio.to_thread(executor.preload, entry))
    return model_json(executor, entry)


@router.post("/{model_id}/unload")
async def unload_model(request: Request, model_id: str) -> dict[str, Any]:
    """Drop the model's weights from memory now (and unpin them); ConflictException while it has tasks."""
    executor, entry = _model(request, model_id)
    await asyncio.to_thread(executor.unload, entry)
    return model_json(executor, entry)


@router.post("/{model_id}/pin")
async def pin_model(request: Request, model_id: str) -> dict[str, Any]:
    """Load the model and keep it resident: the memory budget never evicts a pinned model."""
    executor, entry = _model(request, model_id)
    await _wait(await asyncio.to_thread(executor.pin, entry, True))
    return model_json(executor, entry)


@router.post("/{model_id}/unpin")
async def unpin_model(request: Request, model_id: str) -> dict[str, Any]:
    """Let the memory budget evict the model again when it is idle (it stays loaded until then)."""
    executor, entry = _model(request, model_id)
    await asyncio.to_thread(executor.pin, entry, False)
    return model_json(executor, entry)


def _model(request: Request, model_id: str) -> tuple[Executor, ModelEntry]:
    executor = state_of(request).executor
    entry = executor.catalog.resolve(model_id)
    if not entry.bindings:
        raise ValidationError(f"No local model serves {entry.model_id} in this profile; nothing to load.")
    return executor, entry


async def _wait(futures: list[Future[object]]) -> None:
    await asyncio.gather(*(asyncio.wrap_future(future) for future in futures))


@router.post("/pull", status_code=202)
def start_pull(request: Request, spec: PullRequest) -> dict[str, Any]:
    """Install weights in the background; poll GET /v1/models/pulls/{id}."""
    return _pulls(request).start(state_of(request).catalog, spec.names).as_dict()


@router.get("/pulls/{pull_id}")
def pull_status(request: Request, pull_id: str) -> dict[str, Any]:
    return _pulls(request).get(pull_id).as_dict()


__all__ = ["Pulls", "router"]
