"""The built-in `tiny` background remover: a seeded toy segmentation network written as ONNX in code.

It has ISNet's contract (one RGB image scaled as `(x - 128) / 256` in, one foreground probability map of the same
size out), so `isnet.py` runs the very code path the real weights take, through ONNX Runtime. Its masks are noise,
the same noise in every process; it exists so the tiny profile removes backgrounds with nothing to download.
"""

from __future__ import annotations

import numpy as np

INPUT_SIZE = 64
_CHANNELS = 8


def build_model(seed: int = 0, input_size: int = INPUT_SIZE) -> bytes:
    """Conv(3->8, 3x3) -> Relu -> Conv(8->1, 3x3) -> Sigmoid, weights drawn from `seed`; serialized ONNX."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    weights = [
        numpy_helper.from_array((rng.standard_normal((_CHANNELS, 3, 3, 3)) * 0.3).astype(np.float32), "w1"),
        numpy_helper.from_array(np.zeros(_CHANNELS, np.float32), "b1"),
        numpy_helper.from_array((rng.standard_normal((1, _CHANNELS, 3, 3)) * 0.3).astype(np.float32), "w2"),
        numpy_helper.from_array(np.zeros(1, np.float32), "b2"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["h1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["h1"], ["h2"]),
        helper.make_node("Conv", ["h2", "w2", "b2"], ["h3"], pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["h3"], ["mask"]),
    ]
    shape = [1, 3, input_size, input_size]
    graph = helper.make_graph(
        nodes, "tiny-isnet", [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, input_size, input_size])], weights,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by every onnxruntime this project supports
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())
