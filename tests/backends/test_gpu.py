"""On an accelerator (`gpu` marker; skipped where torch sees no CUDA device): with OUTCROP_DEVICE=cuda, tiny
pipelines built from the one composition root put every weight on the GPU and give finite outputs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from outcrop.services import Services, build_services
from outcrop.settings import Settings
from outcrop.tasks import EmbedTask, TaskKind, TextToImageTask

torch = pytest.importorskip("torch")
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch, tmp_path, models_dir) -> Iterator[Services]:
    monkeypatch.setenv("OUTCROP_DEVICE", "cuda")
    built = build_services(Settings(home=tmp_path, models_path=models_dir, profile="tiny"))
    yield built
    built.close()


def modules(node: Any, depth: int = 5) -> Iterator[Any]:
    """Every torch module reachable from a backend through attributes, containers, pipeline components, bound
    methods and closures."""
    if isinstance(node, torch.nn.Module):
        yield node
        return
    if depth == 0:
        return
    for child in _children(node):
        yield from modules(child, depth - 1)


def _children(node: Any) -> list[Any]:
    from diffusers import DiffusionPipeline

    if isinstance(node, (type, ModuleType)):
        return []
    if isinstance(node, DiffusionPipeline):
        return list(node.components.values())
    if isinstance(node, (dict, list, tuple)):
        return list(node.values() if isinstance(node, dict) else node)
    if callable(node) and (hasattr(node, "__self__") or getattr(node, "__closure__", None)):
        # a bound method (its module) or a closure over a model (clip's towers)
        return [node.__self__] if hasattr(node, "__self__") else [c.cell_contents for c in node.__closure__]
    return list(vars(node).values()) if hasattr(node, "__dict__") else []


def run_on_gpu(services: Services, model_id: str, task: Any) -> tuple[Any, list[Any]]:
    entry = services.catalog.resolve(model_id)
    result = asyncio.run(services.executor.run(entry, task))
    with services.executor.residency.use(services.executor.binding_key(entry, task.kind)) as backend:
        found = list(modules(backend))
    assert found, f"no torch module found in {type(backend).__name__}"
    return result, found


def assert_on_cuda(found: list[Any]) -> None:
    tensors = [t for module in found for t in (*module.parameters(), *module.buffers())]
    assert tensors and {t.device.type for t in tensors} == {"cuda"}


def test_tiny_clip_runs_on_cuda_with_finite_vectors(services):
    task = EmbedTask(text="a lighthouse at dusk", image=None, dimension=256)
    assert task.kind is TaskKind.EMBED
    result, found = run_on_gpu(services, "amazon.titan-embed-image-v1", task)
    assert_on_cuda(found)
    assert np.isfinite(result.vector).all() and abs(float(np.linalg.norm(result.vector)) - 1) < 1e-3


def test_tiny_diffusion_runs_on_cuda_with_finite_images(services):
    result, found = run_on_gpu(services, "amazon.nova-canvas-v1:0", TextToImageTask(prompt="a red fox"))
    assert_on_cuda(found)
    pixels = np.asarray(result.images[0], dtype=np.float32)
    assert np.isfinite(pixels).all() and pixels.std() > 0  # NaN latents decode to one flat colour
