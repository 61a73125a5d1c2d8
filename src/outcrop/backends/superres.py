"""Super-resolution (Stability's Fast Upscale): a Real-ESRGAN / SwinIR-class network, tile by tile.

Where the network comes from, by LoadSpec:
- `weights_dir`: a folder holding one model file (`options["file"]`, else the only `*.pth` / `*.safetensors`),
  read by spandrel, which recognises the architecture from the state dict (Real-ESRGAN, ESRGAN, SwinIR, HAT, ...).
- none: the built-in `tiny` RRDBNet (`superres_tiny`), seeded noise through the same code path.

The image is cut into tiles of `tile` pixels (option, default 256; tiny 32) with `overlap` pixels of context on each
side (default 16; tiny 4), so memory stays bounded whatever the input: an x4 RRDBNet holds 64 channels at the output
resolution, about 10 GB for one 1,536 px input in one piece. Each tile's border is cropped after upscaling, which
hides the seams. The result is resized to the task's size when that differs from the network's own scale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL.Image import Image

from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.backends.placement import module_bytes, place
from outcrop.errors import ValidationError
from outcrop.tasks import Task, TaskKind, UpscaleTask
from outcrop.tasks.generation import ImagesResult
from outcrop.tasks.imaging import to_rgb

_TINY_DEFAULTS = {"tile": 32, "overlap": 4}
_REAL_DEFAULTS = {"tile": 256, "overlap": 16}


def load(spec: LoadSpec) -> SuperResBackend:
    import torch

    if spec.threads:
        torch.set_num_threads(spec.threads)
    if spec.weights_dir is None:
        from outcrop.backends import superres_tiny

        model, scale, defaults = superres_tiny.build(), superres_tiny.SCALE, _TINY_DEFAULTS
    else:
        model, scale = _load_file(model_file(spec.weights_dir, spec.options.get("file")))
        defaults = _REAL_DEFAULTS
    options = {**defaults, **dict(spec.options)}
    return SuperResBackend(place(model.eval(), spec), scale, int(options["tile"]), int(options["overlap"]))


def model_file(folder: Path, name: object = None) -> Path:
    """The model file in `folder`: the one named, or the only `.pth` / `.safetensors` there."""
    if name:
        return folder / str(name)
    found = sorted(p for p in folder.iterdir() if p.suffix in {".pth", ".safetensors"})
    if len(found) != 1:
        raise ValueError(f"{folder}: expected one .pth or .safetensors model file, found {len(found)}; "
                         "name it with the binding's `file` option.")  # fmt: skip
    return found[0]


def _load_file(path: Path) -> tuple[Any, int]:
    try:
        import spandrel
    except ImportError as exc:
        raise ImportError(
            f"Real-ESRGAN files are read by spandrel, which needs a torchvision built for this torch ({exc}); "
            "pip install 'outcrop[spandrel]'"
        ) from exc

    descriptor: Any = spandrel.ModelLoader().load_from_file(str(path))
    if not isinstance(descriptor, spandrel.ImageModelDescriptor):
        raise ValueError(f"{path}: spandrel reads it as {type(descriptor).__name__}, not a super-resolution model.")
    return descriptor.model, int(descriptor.scale)


class SuperResBackend:
    """One super-resolution network; the runtime never enters `run` from two threads at once."""

    kinds = frozenset({TaskKind.UPSCALE})

    def __init__(self, model: Any, scale: int, tile: int, overlap: int) -> None:
        self._model: Any = model
        self.scale = scale
        self._tile = tile
        self._overlap = overlap

    def run(self, task: Task, progress: ProgressFn) -> ImagesResult:
        if not isinstance(task, UpscaleTask):
            raise TypeError(f"the super-resolution backend does not run {task.kind} tasks.")
        upscaled = self.upscale(to_rgb(task.image), progress)
        size = (task.width, task.height)
        if upscaled.size != size:
            upscaled = upscaled.resize(size, PILImage.Resampling.LANCZOS)
        return ImagesResult(images=[upscaled])

    def upscale(self, image: Image, progress: ProgressFn) -> Image:
        """`image` at the network's scale, computed tile by tile."""
        import torch

        if self._model is None:
            raise RuntimeError("this super-resolution backend was closed; load it again.")
        pixels = np.asarray(image, dtype=np.float32) / 255.0
        height, width = pixels.shape[:2]
        out = np.zeros((height * self.scale, width * self.scale, 3), dtype=np.float32)
        boxes = list(tiles(width, height, self._tile))
        parameter = next(self._model.parameters())
        with torch.inference_mode():
            for done, box in enumerate(boxes, start=1):
                self._upscale_tile(pixels, out, box, parameter)
                progress(done / len(boxes))
        return PILImage.fromarray(np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8))

    def _upscale_tile(self, pixels: np.ndarray, out: np.ndarray, box: tuple[int, int, int, int], like: Any) -> None:
        import torch

        x0, y0, x1, y1 = box
        height, width = pixels.shape[:2]
        px0, py0 = max(0, x0 - self._overlap), max(0, y0 - self._overlap)
        px1, py1 = min(width, x1 + self._overlap), min(height, y1 + self._overlap)
        patch = torch.from_numpy(np.ascontiguousarray(pixels[py0:py1, px0:px1].transpose(2, 0, 1)))[None]
        result = self._model(patch.to(like.device, like.dtype)).float().clamp(0, 1)[0].cpu().numpy()
        s = self.scale
        inner = result[:, (y0 - py0) * s : (y1 - py0) * s, (x0 - px0) * s : (x1 - px0) * s]
        out[y0 * s : y1 * s, x0 * s : x1 * s] = inner.transpose(1, 2, 0)

    def close(self) -> None:
        self._model = None

    def memory_bytes(self) -> int:
        return module_bytes(self._model)


def tiles(width: int, height: int, size: int) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) boxes of at most `size` pixels a side covering a `width` x `height` image."""
    if size <= 0:
        raise ValidationError("the super-resolution binding's `tile` option must be a positive number of pixels.")
    return [
        (x, y, min(x + size, width), min(y + size, height))
        for y in range(0, height, size)
        for x in range(0, width, size)
    ]
