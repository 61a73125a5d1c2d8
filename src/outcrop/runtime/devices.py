"""Where models run: the device and dtype asked for in settings (or a binding's options), checked against what torch
sees and resolved once. torch is imported only when something other than the CPU is asked for or `auto` is
resolved, so building the app stays light; `outcrop serve` resolves at start, so a missing device stops it there.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DTYPES = ("float32", "float16", "bfloat16")
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda|xpu)(?::(\d+))?$")
# Models share the CPU's memory with everything else on the machine; an accelerator's free memory is theirs.
CPU_BUDGET_FRACTION = 0.5
ACCELERATOR_BUDGET_FRACTION = 0.8


class DeviceError(RuntimeError):
    """A device or dtype that is malformed or not present: a configuration error, reported at start."""


@dataclass(frozen=True)
class Placement:
    """A concrete device (`cpu`, `cuda:0`, `mps`, `xpu:0`) and dtype name for one model."""

    device: str
    dtype: str


def check_names(device: str, dtype: str, source: str = "OUTCROP_") -> None:
    """Syntax only (no torch): a typo fails at once, whatever the machine has."""
    if _DEVICE.match(device) is None or device.startswith(("auto:", "cpu:", "mps:")):
        raise DeviceError(f"{source}DEVICE={device} is not a device; use auto, cpu, cuda, cuda:N, mps, xpu or xpu:N.")
    if dtype != "auto" and dtype not in DTYPES:
        raise DeviceError(f"{source}DTYPE={dtype} is not a dtype; use auto, {', '.join(DTYPES)}.")


class Devices:
    """Resolves device requests against this machine, once each; thread-safe."""

    def __init__(self, device: str = "auto", dtype: str = "auto") -> None:
        check_names(device, dtype)
        self.device, self.dtype = device, dtype
        self._resolved: dict[tuple[str, str], Placement] = {}
        self._lock = threading.Lock()

    def default(self) -> Placement:
        """The settings' placement (imports torch unless it is the CPU)."""
        return self.placement({})

    def placement(self, options: Mapping[str, Any]) -> Placement:
        """A binding's placement: its `device` / `dtype` options, else the settings'."""
        device, dtype = str(options.get("device", self.device)), str(options.get("dtype", self.dtype))
        source = "OUTCROP_" if (device, dtype) == (self.device, self.dtype) else "catalog option "
        with self._lock:
            if (device, dtype) not in self._resolved:
                check_names(device, dtype, source)
                concrete = resolve_device(device, source)
                self._resolved[device, dtype] = Placement(concrete, resolve_dtype(dtype, concrete))
            return self._resolved[device, dtype]

    def peek(self, options: Mapping[str, Any]) -> Placement:
        """The placement if already resolved, else what was asked for (never imports torch)."""
        device, dtype = str(options.get("device", self.device)), str(options.get("dtype", self.dtype))
        with self._lock:
            return self._resolved.get((device, dtype), Placement(device, dtype))

    def resolved(self) -> list[str]:
        with self._lock:
            return sorted({placement.device for placement in self._resolved.values()})


def resolve_device(name: str, source: str = "OUTCROP_") -> str:
    """`auto` -> the first accelerator torch sees, else `cpu`; an explicit device must be present."""
    if name == "cpu":
        return "cpu"
    import torch

    if name == "auto":
        return _first_accelerator(torch)
    kind, _, index = name.partition(":")
    count = _device_count(torch, kind)
    if count <= int(index or 0):
        raise DeviceError(f"{source}DEVICE={name}, but torch sees {_seen(torch, kind, count)}")
    return kind if kind == "mps" else f"{kind}:{int(index or 0)}"


def _first_accelerator(torch: Any) -> str:
    for kind in ("cuda", "mps", "xpu"):
        if _device_count(torch, kind) > 0:
            return kind if kind == "mps" else f"{kind}:0"
    return "cpu"


def _device_count(torch: Any, kind: str) -> int:
    if kind == "cuda":
        return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0
    if kind == "mps":
        return 1 if torch.backends.mps.is_available() else 0
    xpu = getattr(torch, "xpu", None)
    return int(xpu.device_count()) if xpu is not None and xpu.is_available() else 0


def _seen(torch: Any, kind: str, count: int) -> str:
    names = {"cuda": "CUDA", "mps": "MPS (Apple GPU)", "xpu": "XPU (Intel GPU)"}
    what = f"no {names[kind]} device" if count == 0 else f"{count} {names[kind]} device(s)"
    return f"{what} (torch {torch.__version__}, cuda available: {torch.cuda.is_available()})"


def resolve_dtype(name: str, device: str) -> str:
    """`auto`: float32 on the CPU; bfloat16 where the accelerator supports it, else float16."""
    if name != "auto":
        return name
    if device == "cpu":
        return "float32"
    if device.startswith("cuda"):
        import torch

        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float16" if device == "mps" else "bfloat16"


def default_budget(device: str) -> int:
    """A conservative share of the device's currently free memory."""
    if device == "cpu":
        return int(available_ram() * CPU_BUDGET_FRACTION)
    import torch

    if device.startswith("cuda"):
        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free * ACCELERATOR_BUDGET_FRACTION)
    if device.startswith("xpu"):
        return int(torch.xpu.get_device_properties(torch.device(device)).total_memory * ACCELERATOR_BUDGET_FRACTION)
    recommended = getattr(torch.mps, "recommended_max_memory", None)  # MPS shares the machine's RAM
    total = int(recommended()) if recommended is not None else available_ram()
    return int(total * ACCELERATOR_BUDGET_FRACTION)


def available_ram() -> int:
    """MemAvailable from /proc/meminfo (Linux), else free physical pages."""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))


def process_rss() -> int:
    """This process's resident memory (Linux /proc; 0 where it cannot be read)."""
    statm = Path("/proc/self/statm")
    if not statm.is_file():
        return 0
    return int(statm.read_text().split()[1]) * int(os.sysconf("SC_PAGE_SIZE"))
