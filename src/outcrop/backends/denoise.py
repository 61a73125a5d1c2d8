"""What every diffusers image backend does the same way: where the pipeline comes from, seeded generators, the
working size, and one denoising call that reports progress per step (where a cancelled request stops)."""

from __future__ import annotations

import math
from typing import Any

from PIL.Image import Image

from outcrop.backends.base import LoadSpec, ProgressFn


def pipeline_source(spec: LoadSpec) -> str | None:
    """The installed folder, else the binding's `hub_id` (users online); None: build the seeded tiny one in code."""
    if spec.weights_dir is not None:
        if not (spec.weights_dir / "model_index.json").is_file():
            raise FileNotFoundError(
                f"Weights '{spec.weights}' are not installed at {spec.weights_dir} (no model_index.json); "
                f"install them with: outcrop models pull {spec.weights}"
            )
        return str(spec.weights_dir)
    hub_id = spec.options.get("hub_id")
    return str(hub_id) if hub_id else None


def dtype_kwarg(dtype: Any) -> dict[str, Any]:
    """diffusers renamed `torch_dtype` to `dtype` recently and warns on the old name; older releases know only it."""
    from diffusers.pipelines import pipeline_utils

    return {"dtype" if hasattr(pipeline_utils, "_resolve_dtype") else "torch_dtype": dtype}


def generators(seed: int, count: int) -> list[Any]:
    """One CPU generator per image (seeds seed, seed+1, ...): image i is the same whatever the batch size."""
    import torch

    return [torch.Generator("cpu").manual_seed(seed + i) for i in range(count)]


def round_to(value: float, multiple: int) -> int:
    return max(multiple, round(value / multiple) * multiple)


def scaled_size(width: int, height: int, max_pixels: int, multiple: int, *, upscale: bool = False) -> tuple[int, int]:
    """`width` x `height`'s aspect at most `max_pixels` (exactly about that many with `upscale`), in `multiple`s."""
    scale = math.sqrt(max_pixels / (width * height))
    scale = scale if upscale else min(1.0, scale)
    return round_to(width * scale, multiple), round_to(height * scale, multiple)


def step_reporter(progress: ProgressFn, pipe: Any, steps: int) -> Any:
    """A `callback_on_step_end` reporting the fraction done (img2img and inpainting run fewer steps than
    scheduled; the pipeline knows how many once it starts)."""

    def on_step_end(_pipe: Any, step: int, _timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        total = getattr(pipe, "num_timesteps", None) or steps
        progress(min(1.0, (step + 1) / total))
        return kwargs

    return on_step_end


def denoise(pipe: Any, *, steps: int, count: int, seed: int, progress: ProgressFn, **inputs: Any) -> list[Image]:
    """Run `pipe` for `count` images from `seed` in `steps` steps (`inputs`: prompt, guidance_scale, image, ...)."""
    import torch

    with torch.inference_mode():
        output = pipe(
            num_inference_steps=steps,
            num_images_per_prompt=count,
            generator=generators(seed, count),
            callback_on_step_end=step_reporter(progress, pipe, steps),
            **inputs,
        )
    progress(1.0)
    return list(output.images)
