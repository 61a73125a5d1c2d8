"""Object erasure with LaMa (large-mask inpainting with fast Fourier convolutions), loaded through spandrel.

Where the weights come from, by LoadSpec:
- `weights_dir`: a LaMa checkpoint (big-lama) as .safetensors, .pth, .ckpt or .pt (TorchScript); option `file`
  names it, otherwise the folder's one such file is used. spandrel recognises the architecture from its keys.
- none: the built-in `tiny` LaMa (`lama_tiny`), seeded noise through the same code path.

LaMa fills a hole from its surroundings with no prompt and no randomness, so the request's seed does not change
the result. It runs on the mask's bounding box plus context around it (an object in a large photo costs what the
object's neighbourhood costs), scaled down to at most `max_pixels` (option) and back; pixels outside the mask are
the original's, exactly.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL.Image import Image

from outcrop.backends import mask_growth
from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.backends.placement import module_bytes, torch_dtype
from outcrop.tasks import EraseTask, Task, TaskKind
from outcrop.tasks.generation import ImagesResult
from outcrop.tasks.imaging import to_rgb

log = logging.getLogger(__name__)

CHECKPOINT_SUFFIXES = (".safetensors", ".pth", ".ckpt", ".pt")
# big-lama was trained on 256 px crops and holds up to about 2k on a side ("resolution-robust"); 2 megapixels keeps
# CPU runs to seconds. Context: the box around the mask grows by this fraction of its size on each side.
_REAL_MAX_PIXELS = 2 * 1024 * 1024
_TINY_MAX_PIXELS = 64 * 64
CONTEXT = 0.5
MIN_CONTEXT = 32


def load(spec: LoadSpec) -> LamaBackend:
    import torch

    if spec.threads:
        torch.set_num_threads(spec.threads)
    if spec.weights_dir is None:
        from outcrop.backends import lama_tiny

        model, max_pixels = lama_tiny.build(), _TINY_MAX_PIXELS
    else:
        model = _load_checkpoint(checkpoint(spec))
        if model.purpose != "Inpainting":
            raise ValueError(f"weights '{spec.weights}' hold a {model.purpose} model, not an inpainting one (LaMa).")
        max_pixels = _REAL_MAX_PIXELS
    model = model.to(spec.device, _dtype(model, spec)).eval()
    return LamaBackend(model, int(spec.options.get("max_pixels", max_pixels)))


def _load_checkpoint(path: Path) -> Any:
    try:
        from spandrel import ModelLoader
    except ImportError as exc:
        raise ImportError(
            f"LaMa needs spandrel and a torchvision built for this torch ({exc}); pip install 'outcrop[spandrel]', "
            "or bind ERASE to the diffusion backend in $OUTCROP_HOME/catalog.toml"
        ) from exc
    return ModelLoader().load_from_file(path)


def checkpoint(spec: LoadSpec) -> Path:
    """The checkpoint file in `spec.weights_dir`: option `file`, or the folder's only checkpoint."""
    assert spec.weights_dir is not None
    if "file" in spec.options:
        path = spec.weights_dir / str(spec.options["file"])
    else:
        found = sorted(p for p in spec.weights_dir.iterdir() if p.suffix.lower() in CHECKPOINT_SUFFIXES)
        path = found[0] if len(found) == 1 else spec.weights_dir / "big-lama.safetensors"
    if not path.is_file():
        raise FileNotFoundError(
            f"LaMa weights '{spec.weights}' have no checkpoint at {path}; install them with: "
            f"outcrop models pull {spec.weights} (or name the file with the binding's `file` option)"
        )
    return path


def _dtype(model: Any, spec: LoadSpec) -> Any:
    import torch

    if spec.dtype == "float16" and not model.supports_half:
        # LaMa's Fourier layers need float32 or bfloat16 (spandrel marks fp16 unsupported): the runtime asked for
        # half precision for the whole device, and this model cannot honour it.
        log.warning("LaMa does not run in float16; loading %s in float32", spec.weights)
        return torch.float32
    return torch_dtype(spec)


class LamaBackend:
    """One LaMa model; the runtime never calls `run` from two threads at once."""

    kinds = frozenset({TaskKind.ERASE})

    def __init__(self, model: Any, max_pixels: int) -> None:
        self._model: Any = model
        self._max_pixels = max_pixels

    def run(self, task: Task, progress: ProgressFn) -> ImagesResult:
        if not isinstance(task, EraseTask):
            raise TypeError(f"LaMa only erases; it was given a {task.kind} task.")
        image = to_rgb(task.image)
        mask = mask_growth.grow(task.mask, task.grow_mask)
        box = mask.point(lambda v: 255 if v >= 128 else 0).getbbox()
        if box is None:  # nothing marked: nothing to erase
            progress(1.0)
            return ImagesResult(images=[image])
        box = with_context(box, image.size)
        crop, crop_mask = image.crop(box), mask.crop(box)
        progress(0.1)
        filled = self._fill(crop, crop_mask)
        progress(0.9)
        out = image.copy()
        out.paste(PILImage.composite(filled, crop, crop_mask), box[:2])
        progress(1.0)
        return ImagesResult(images=[out])

    def close(self) -> None:
        # torch frees the weights when the last reference goes.
        self._model = None

    def memory_bytes(self) -> int:
        return module_bytes(self._model.model) if self._model is not None else 0

    def _fill(self, crop: Image, mask: Image) -> Image:
        """LaMa's fill of `crop` where `mask` is at least half strength, at no more than `max_pixels`."""
        import torch

        if self._model is None:
            raise RuntimeError("this LaMa backend was closed; load it again.")
        size = working_size(crop.size, self._max_pixels)
        pixels = np.asarray(crop.resize(size, PILImage.Resampling.LANCZOS), dtype=np.float32) / 255.0
        holes = np.asarray(mask.resize(size, PILImage.Resampling.BILINEAR), dtype=np.float32) >= 127.5
        model = self._model
        image_t = torch.from_numpy(pixels).permute(2, 0, 1)[None].to(model.device, model.dtype)
        mask_t = torch.from_numpy(holes.astype(np.float32))[None, None].to(model.device, model.dtype)
        with torch.inference_mode():
            out = model(image_t, mask_t)
        array = (out[0].permute(1, 2, 0).float().cpu().numpy() * 255.0 + 0.5).clip(0, 255).astype(np.uint8)
        return PILImage.fromarray(array).resize(crop.size, PILImage.Resampling.LANCZOS)


def with_context(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """`box` grown by CONTEXT of its size (at least MIN_CONTEXT px) on each side, within the image."""
    left, top, right, bottom = box
    pad_x = max(MIN_CONTEXT, int((right - left) * CONTEXT))
    pad_y = max(MIN_CONTEXT, int((bottom - top) * CONTEXT))
    width, height = size
    return max(0, left - pad_x), max(0, top - pad_y), min(width, right + pad_x), min(height, bottom + pad_y)


def working_size(size: tuple[int, int], max_pixels: int) -> tuple[int, int]:
    """`size` scaled down (never up) to at most `max_pixels`, keeping the aspect ratio."""
    width, height = size
    scale = min(1.0, (max_pixels / (width * height)) ** 0.5)
    return max(1, round(width * scale)), max(1, round(height * scale))
