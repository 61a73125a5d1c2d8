"""ISNet (DIS) background removal through ONNX Runtime.

The weights are IMG.LY's ISNet export (see the `npm-imgly` source): one RGB image in, scaled as
`(x - 128) / 256` at 1024x1024, one foreground probability map out. The result is the input image with that
map, resized back to the input's size, as its alpha channel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL.Image import Image

from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.backends.placement import file_bytes, ort_providers
from outcrop.tasks import RemoveBackgroundTask, Task, TaskKind
from outcrop.tasks.generation import ImagesResult
from outcrop.tasks.imaging import to_rgb


def load(spec: LoadSpec) -> IsnetBackend:
    """Open the ONNX file in `spec.weights_dir` (name from the `file` option, default `model.onnx`); with no
    weights directory, the built-in seeded toy model (`isnet_tiny`)."""
    if spec.weights_dir is None:
        from outcrop.backends import isnet_tiny

        size = int(spec.options.get("input_size", isnet_tiny.INPUT_SIZE))
        model = isnet_tiny.build_model(input_size=size)
        return IsnetBackend(_session(model, spec), size, len(model))
    path = spec.weights_dir / str(spec.options.get("file", "model.onnx"))
    if not path.is_file():
        raise FileNotFoundError(
            f"ISNet weights '{spec.weights}' have no model file at {path}; "
            f"install them with: outcrop models pull {spec.weights}"
        )
    return IsnetBackend(_session(path, spec), int(spec.options.get("input_size", 1024)), file_bytes(path))


def _session(model: Path | bytes, spec: LoadSpec) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    if spec.threads:
        options.intra_op_num_threads = spec.threads
    providers = ort_providers(spec.device, ort.get_available_providers())
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, sess_options=options, providers=providers)


class IsnetBackend:
    """One ONNX Runtime session; the runtime never calls `run` from two threads at once."""

    kinds = frozenset({TaskKind.REMOVE_BACKGROUND})

    def __init__(self, session: Any, input_size: int, size: int = 0) -> None:
        self._session: Any = session
        self._input_size = input_size
        self._size = size
        self._input_name: str = session.get_inputs()[0].name
        # The export also returns ISNet's side outputs (five more maps, six feature tensors); only the first,
        # the fused map, is the mask. Asking for it alone spares copying the rest out of the runtime.
        self._output_name: str = session.get_outputs()[0].name

    def run(self, task: Task, progress: ProgressFn) -> ImagesResult:
        if not isinstance(task, RemoveBackgroundTask):
            raise TypeError(f"ISNet only removes backgrounds; it was given a {task.kind} task.")
        if self._session is None:
            raise RuntimeError("this ISNet backend was closed; load it again.")
        rgb = to_rgb(task.image, over_white=False)  # alpha comes from the model; keep the true colours
        progress(0.1)
        mask = self._predict(rgb)
        progress(0.9)
        cutout = rgb.convert("RGBA")
        cutout.putalpha(_keep_transparency(task.image, _alpha(mask, rgb.size)))
        progress(1.0)
        return ImagesResult(images=[cutout])

    def close(self) -> None:
        # ONNX Runtime frees the session's memory when the last reference goes.
        self._session = None

    def memory_bytes(self) -> int:
        """The ONNX file's size: what the session holds for its weights."""
        return self._size

    def _predict(self, rgb: Image) -> np.ndarray:
        batch = _preprocess(rgb, self._input_size)
        (mask,) = self._session.run([self._output_name], {self._input_name: batch})
        return np.asarray(mask, dtype=np.float32)[0, 0]


def _preprocess(rgb: Image, size: int) -> np.ndarray:
    pixels = np.asarray(rgb.resize((size, size), PILImage.Resampling.BILINEAR), dtype=np.float32)
    return ((pixels - 128.0) / 256.0).transpose(2, 0, 1)[np.newaxis].copy()


def _alpha(mask: np.ndarray, size: tuple[int, int]) -> Image:
    # No min-max stretch (rembg applies one). Measured on scikit-image's photos: where there is a subject (coffee,
    # cat, astronaut, rocket) the raw map already spans 0.0000..1.0000, so a stretch changes nothing; where there
    # is none (grass, gravel) the map stays low, peaking at 0.07..0.84 on a few pixels, and a stretch would turn
    # that noise fully opaque.
    resized = np.asarray(PILImage.fromarray(mask).resize(size, PILImage.Resampling.BILINEAR))
    return PILImage.fromarray(np.clip(resized * 255.0 + 0.5, 0, 255).astype(np.uint8))


def _keep_transparency(image: Image, alpha: Image) -> Image:
    """Pixels already transparent in the input stay transparent, whatever the model thinks of them."""
    if "A" not in image.getbands() and "transparency" not in image.info:
        return alpha
    own = image.convert("RGBA").getchannel("A")
    return PILImage.fromarray(np.minimum(np.asarray(alpha), np.asarray(own)))
