"""Text-to-image and image-to-image with one set of Stable Diffusion 3 / 3.5 weights (diffusers).

Where the weights come from, by LoadSpec:
- `weights_dir`: a diffusers SD3 pipeline folder (model_index.json, transformer/, vae/, text_encoder/,
  text_encoder_2/, text_encoder_3/, their tokenizers, scheduler/), e.g. stabilityai/stable-diffusion-3.5-large.
- no `weights_dir` but `options["hub_id"]`: the same from the Hugging Face Hub.
- neither: the built-in `tiny` pipeline (`sd3_tiny`), seeded noise through the same code path.

`StableDiffusion3Pipeline` is loaded once and `StableDiffusion3Img2ImgPipeline` derived from it with `from_pipe`,
so both tasks share one transformer, VAE and the three text encoders in memory.

Options: `steps` (denoising steps; distilled weights such as large-turbo take 4), `guidance_scale` (when set,
replaces the request's scale: large-turbo runs without guidance, 0), `max_pixels` (the largest working size;
bigger requests are generated at that size and resized), `max_sequence_length` (T5 tokens of the prompt).
"""

from __future__ import annotations

import math
from typing import Any

from PIL import Image as PILImage
from PIL.Image import Image

from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.backends.denoise import denoise, dtype_kwarg, pipeline_source, scaled_size
from outcrop.backends.diffusion import STYLE_SUFFIX, exact_size
from outcrop.backends.placement import pipeline_bytes, place, torch_dtype
from outcrop.errors import ValidationError
from outcrop.tasks import ImageToImageTask, Task, TaskKind, TextToImageTask
from outcrop.tasks.generation import GenerationConfig, ImagesResult
from outcrop.tasks.imaging import to_rgb

# The tiny pipeline's defaults keep tests fast; real weights take the catalog's options or these (SD3.5 Large's
# model card: 28 steps; T5 reads up to 256 tokens).
_TINY_DEFAULTS: dict[str, Any] = {"steps": 2, "max_pixels": 64 * 64, "max_sequence_length": 77}
_REAL_DEFAULTS: dict[str, Any] = {"steps": 28, "max_pixels": 1024 * 1024, "max_sequence_length": 256}
CONDITIONING_UNSUPPORTED = (
    "this model's Stable Diffusion 3 binding does not take a conditionImage; "
    "remove conditionImage, controlMode and controlStrength"
)


def load(spec: LoadSpec) -> SD3Backend:
    """Load the pipeline that `spec` names (see the module docstring) and derive image-to-image from it."""
    import torch

    if spec.threads:
        torch.set_num_threads(spec.threads)
    pipeline, defaults = _load_pipeline(spec)
    return SD3Backend(place(pipeline, spec), {**defaults, **dict(spec.options)})


def _load_pipeline(spec: LoadSpec) -> tuple[Any, dict[str, Any]]:
    source = pipeline_source(spec)
    if source is None:
        from outcrop.backends import sd3_tiny

        return sd3_tiny.build(), _TINY_DEFAULTS
    from diffusers import StableDiffusion3Pipeline

    factory: Any = StableDiffusion3Pipeline
    return factory.from_pretrained(source, **dtype_kwarg(torch_dtype(spec))), _REAL_DEFAULTS


class SD3Backend:
    """One SD3 model serving text-to-image and image-to-image; the runtime never enters `run` from two threads."""

    kinds = frozenset({TaskKind.TEXT_TO_IMAGE, TaskKind.IMAGE_TO_IMAGE})

    def __init__(self, text_to_image: Any, options: dict[str, Any]) -> None:
        from diffusers import StableDiffusion3Img2ImgPipeline

        img2img: Any = StableDiffusion3Img2ImgPipeline
        self._pipes: dict[str, Any] | None = {
            "text": text_to_image,
            # from_pipe casts to float32 unless told the dtype, which would undo a bfloat16 load.
            "image": img2img.from_pipe(text_to_image, **dtype_kwarg(text_to_image.dtype)),
        }
        for pipe in self._pipes.values():
            pipe.set_progress_bar_config(disable=True)
        self._options = options
        # Sizes must divide into whole latent patches: VAE downsampling times the transformer's patch size.
        self.multiple = int(text_to_image.vae_scale_factor) * int(text_to_image.transformer.config.patch_size)

    def run(self, task: Task, progress: ProgressFn) -> ImagesResult:
        match task:
            case TextToImageTask():
                return self._text_to_image(task, progress)
            case ImageToImageTask():
                return self._image_to_image(task, progress)
        raise TypeError(f"the sd3 backend does not run {task.kind} tasks.")

    def close(self) -> None:
        # torch frees the weights when the last reference to the pipelines goes.
        self._pipes = None

    def memory_bytes(self) -> int:
        """Weights of both pipelines (their shared components once)."""
        return pipeline_bytes(*(self._pipes or {}).values())

    def _text_to_image(self, task: TextToImageTask, progress: ProgressFn) -> ImagesResult:
        if task.conditioning is not None:
            raise ValidationError(CONDITIONING_UNSUPPORTED)
        prompt = task.prompt if task.style is None else f"{task.prompt}, {STYLE_SUFFIX[task.style]}"
        config = task.config
        width, height = self.working_size(config.width, config.height)
        images = self._call(
            "text", prompt, task.negative_prompt, config=config, progress=progress, width=width, height=height
        )
        return ImagesResult(images=[exact_size(im, (config.width, config.height)) for im in images])

    def _image_to_image(self, task: ImageToImageTask, progress: ProgressFn) -> ImagesResult:
        config = task.config
        size = (config.width, config.height)
        if task.strength <= 0:
            # Strength 0 keeps the image: no denoising step would run (diffusers refuses zero steps).
            progress(1.0)
            return ImagesResult(images=[exact_size(to_rgb(task.image), size)] * config.number_of_images)
        width, height = self.working_size(*size)
        start = to_rgb(task.image).resize((width, height), PILImage.Resampling.LANCZOS)
        # diffusers runs int(steps * strength) of the scheduled steps; scheduling steps / strength keeps about
        # `steps` whatever the strength, and the ceiling makes the smallest strength still run one.
        steps = math.ceil(int(self._options["steps"]) / task.strength)
        images = self._call(
            "image", task.prompt, task.negative_prompt, config=config, progress=progress,
            steps=steps, image=start, strength=task.strength, width=width, height=height,
        )  # fmt: skip
        return ImagesResult(images=[exact_size(im, size) for im in images])

    def _call(
        self,
        kind: str,
        prompt: str,
        negative: str | None,
        *,
        config: GenerationConfig,
        progress: ProgressFn,
        steps: int | None = None,
        **inputs: Any,
    ) -> list[Image]:
        if self._pipes is None:
            raise RuntimeError("this sd3 backend was closed; load it again.")
        guidance = float(self._options.get("guidance_scale", config.cfg_scale))
        return denoise(self._pipes[kind], steps=steps or int(self._options["steps"]), count=config.number_of_images,
                       seed=config.seed, progress=progress, prompt=prompt, negative_prompt=negative,
                       guidance_scale=guidance, max_sequence_length=int(self._options["max_sequence_length"]),
                       **inputs)  # fmt: skip

    def working_size(self, width: int, height: int) -> tuple[int, int]:
        """The size to generate at: the request's aspect, at most `max_pixels`, in whole latent patches."""
        return scaled_size(width, height, int(self._options["max_pixels"]), self.multiple)
