"""Device and dtype settings: names checked without torch, the CPU always works, a missing accelerator is named."""

from __future__ import annotations

import pytest

from outcrop.runtime.devices import DeviceError, Devices, check_names, resolve_device, resolve_dtype
from outcrop.settings import Settings, parse_bytes


def test_cpu_resolves_to_float32():
    devices = Devices("cpu", "auto")
    assert devices.default().device == "cpu"
    assert devices.default().dtype == "float32"


def test_binding_options_override_the_settings():
    devices = Devices("cpu", "float32")
    assert devices.placement({"dtype": "bfloat16"}).dtype == "bfloat16"
    assert devices.peek({"dtype": "float16"}).dtype == "float16"  # not resolved yet: what was asked


@pytest.mark.parametrize(("device", "dtype"), [("gpu", "auto"), ("cpu:1", "auto"), ("cuda:x", "auto"), ("cpu", "fp8")])
def test_malformed_names_fail_at_once(device, dtype):
    with pytest.raises(DeviceError, match="is not a"):
        check_names(device, dtype)


def test_missing_cuda_is_named_with_what_torch_sees():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(
        DeviceError, match=r"OUTCROP_DEVICE=cuda, but torch sees no CUDA device \(torch .*cuda available: False"
    ):
        resolve_device("cuda")


def test_auto_dtype_is_float32_on_the_cpu_and_explicit_dtypes_pass_through():
    assert resolve_dtype("auto", "cpu") == "float32"
    assert resolve_dtype("float16", "cpu") == "float16"


@pytest.mark.parametrize(
    ("text", "size"), [("6GB", 6 * 10**9), ("512MB", 512 * 10**6), ("1", 1), ("2GiB", 2 * 2**30), ("", None)]
)
def test_memory_budget_sizes(text, size):
    assert parse_bytes(text) == size
    assert Settings(model_memory_budget=text or None).model_memory_budget == size


def test_memory_budget_rejects_nonsense():
    with pytest.raises(ValueError, match="not a size"):
        parse_bytes("lots")
