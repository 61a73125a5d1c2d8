"""Diffusion upscaling (Stability's Conservative and Creative Upscale) with Stable Diffusion x4 Upscaler.

Where the pipeline comes from, by LoadSpec: `weights_dir` (a diffusers folder of
`stabilityai/stable-diffusion-x4-upscaler`), else `options["hub_id"]`, else the built-in `tiny` pipeline
(`sd_upscale_tiny`).

How a task runs: the pipeline denoises latents at its input's resolution, conditioned on that low-resolution
image, and decodes 4x larger. The input is resized to a quarter of the task's output size (at most `max_pixels`,
option; default 512x512 = a 2048x2048 output; tiny 32x32), upscaled, and the result resized to the exact output
size. `creativity` sets the noise added to the low-resolution image (`noise_level`, 0-350): the more noise, the
less the model can copy and the more it invents from the prompt.
- CONSERVATIVE (creativity 0.2-0.5): noise_level = 100 x creativity, 20-50 (20 is the upscaler's own default):
  the output keeps the input's structure and colours and adds texture. We chose this over super-resolution plus a
  low-strength img2img pass: one model, and the prompt still steers the added detail.
- CREATIVE (creativity 0.1-0.5): noise_level = 700 x creativity, 70-350: degraded inputs are re-imagined.
What this does not do: an input larger than `max_pixels` is reduced before upscaling, so its finest details are
redrawn rather than kept (tiled upscaling would keep them; not done).

Options: `steps` (default 25; tiny 2), `guidance_scale` (default 7.5), `max_pixels`.
"""

from __future__ import annotations

import math
from typing import Any

from PIL import Image as PILImage
from PIL.Image import Image

from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.backends.denoise import dtype_kwarg, pipeline_source
from outcrop.backends.placement import pipeline_bytes, place, torch_dtype
from outcrop.tasks import Task, TaskKind, UpscaleTask
from outcrop.tasks.generation import ImagesResult
from outcrop.tasks.imaging import to_rgb
from outcrop.tasks.upscale import UpscaleMode

SCALE = 4  # the x4 upscaler's output / input
MULTIPLE = 8  # latent sides the UNet's three downsamplings divide
MAX_NOISE_LEVEL = 350
NOISE_PER_CREATIVITY = {UpscaleMode.CONSERVATIVE: 100.0, UpscaleMode.CREATIVE: 700.0, UpscaleMode.FAST: 0.0}

_TINY_DEFAULTS: dict[str, Any] = {"steps": 2, "guidance_scale": 7.5, "max_pixels": 32 * 32}
_REAL_DEFAULTS: dict[str, Any] = {"steps": 25, "guidance_scale": 7.5, "max_pixels": 512 * 512}


def load(spec: LoadSpec) -> DiffusionUpscaleBackend:
    import torch

    if spec.threads:
        torch.set_num_threads(spec.threads)
    source = pipeline_source(spec)
    if source:
        from diffusers import StableDiffusionUpscalePipeline

        factory: Any = StableDiffusionUpscalePipeline
        pipeline, defaults = factory.from_pretrained(str(source), **dtype_kwarg(torch_dtype(spec))), _REAL_DEFAULTS
    else:
        from outcrop.backends import sd_upscale_tiny

        pipeline, defaults = sd_upscale_tiny.build(), _TINY_DEFAULTS
    pipeline.set_progress_bar_config(disable=True)
    return DiffusionUpscaleBackend(place(pipeline, spec), {**defaults, **dict(spec.options)})


def noise_level(mode: UpscaleMode, creativity: float) -> int:
    return min(MAX_NOISE_LEVEL, round(NOISE_PER_CREATIVITY[mode] * creativity))


def working_size(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    """The pipeline's input size for an output of `width` x `height`: a quarter of it, at most `max_pixels`."""
    scale = min(1.0 / SCALE, math.sqrt(max_pixels / (width * height)))
    return _round(width * scale), _round(height * scale)


def _round(value: float) -> int:
    return max(MULTIPLE, round(value / MULTIPLE) * MULTIPLE)


class DiffusionUpscaleBackend:
    """One x4 upscaler pipeline; the runtime never enters `run` from two threads at once."""

    kinds = frozenset({TaskKind.UPSCALE})

    def __init__(self, pipeline: Any, options: dict[str, Any]) -> None:
        self._pipe: Any = pipeline
        self._options = options

    def run(self, task: Task, progress: ProgressFn) -> ImagesResult:
        import torch

        if not isinstance(task, UpscaleTask):
            raise TypeError(f"the diffusion upscale backend does not run {task.kind} tasks.")
        if self._pipe is None:
            raise RuntimeError("this diffusion upscale backend was closed; load it again.")
        size = working_size(task.width, task.height, int(self._options["max_pixels"]))
        low_res = to_rgb(task.image).resize(size, PILImage.Resampling.LANCZOS)
        steps = int(self._options["steps"])
        with torch.inference_mode():
            output = self._pipe(
                prompt=_prompt(task),
                negative_prompt=task.negative_prompt,
                image=low_res,
                num_inference_steps=steps,
                guidance_scale=float(self._options["guidance_scale"]),
                noise_level=noise_level(task.mode, task.creativity),
                generator=torch.Generator("cpu").manual_seed(task.seed),
                callback=lambda step, _t, _latents: progress(min(1.0, (step + 1) / steps)),
                callback_steps=1,
            )
        progress(1.0)
        image: Image = output.images[0]
        return ImagesResult(images=[image.resize((task.width, task.height), PILImage.Resampling.LANCZOS)])

    def close(self) -> None:
        self._pipe = None

    def memory_bytes(self) -> int:
        return pipeline_bytes(self._pipe)


def _prompt(task: UpscaleTask) -> str:
    prompt = task.prompt or ""
    return f"{prompt}, {task.style_preset.replace('-', ' ')} style" if task.style_preset else prompt
