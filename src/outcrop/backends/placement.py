"""What backends share about placement: the torch dtype for a LoadSpec, ONNX Runtime execution providers for its
device, and how many bytes a loaded model holds (for the runtime's memory budget)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from outcrop.backends.base import LoadSpec

log = logging.getLogger(__name__)


def torch_dtype(spec: LoadSpec) -> Any:
    """The torch dtype the runtime chose (`float32`, `float16` or `bfloat16`)."""
    import torch

    return getattr(torch, spec.dtype)


def place(module: Any, spec: LoadSpec) -> Any:
    """Move a torch module or diffusers pipeline to the spec's device and dtype (a no-op for CPU float32, which is
    where everything is built, so pipelines do not log about moving to where they already are)."""
    if (spec.device, spec.dtype) == ("cpu", "float32"):
        return module
    return module.to(spec.device, torch_dtype(spec))


def ort_providers(device: str, available: Iterable[str]) -> list[str]:
    """ONNX Runtime execution providers for `device`: CUDA on cuda, CoreML on mps, OpenVINO on xpu, each only when
    this onnxruntime has it (else the CPU, logged), always with the CPU provider as the fallback."""
    wanted = {"cuda": "CUDAExecutionProvider", "mps": "CoreMLExecutionProvider", "xpu": "OpenVINOExecutionProvider"}
    provider = wanted.get(device.partition(":")[0])
    if provider is None:
        return ["CPUExecutionProvider"]
    if provider not in set(available):
        log.warning("device %s: this onnxruntime has no %s; the ONNX model runs on the CPU", device, provider)
        return ["CPUExecutionProvider"]
    if provider == "CUDAExecutionProvider":
        index = int(device.partition(":")[2] or 0)
        return [(provider, {"device_id": index}), "CPUExecutionProvider"]  # type: ignore[list-item]
    return [provider, "CPUExecutionProvider"]


def module_bytes(*modules: Any) -> int:
    """Bytes of the parameters and buffers of torch modules (each tensor counted once; None entries skipped)."""
    seen: set[int] = set()
    total = 0
    for module in modules:
        if module is None:
            continue
        for tensor in (*module.parameters(), *module.buffers()):
            if id(tensor) not in seen:
                seen.add(id(tensor))
                total += tensor.numel() * tensor.element_size()
    return total


def pipeline_bytes(*pipelines: Any) -> int:
    """Bytes of every torch module among diffusers pipelines' components (shared components counted once)."""
    import torch

    modules = {
        id(component): component
        for pipeline in pipelines
        if pipeline is not None
        for component in pipeline.components.values()
        if isinstance(component, torch.nn.Module)
    }
    return module_bytes(*modules.values())


def file_bytes(*paths: Path) -> int:
    """ONNX Runtime keeps about the model file's size in memory for its weights."""
    return sum(path.stat().st_size for path in paths if path.is_file())
