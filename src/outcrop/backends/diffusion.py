"""Text-to-image and image editing with one set of Stable Diffusion weights (diffusers).

Where the weights come from, by LoadSpec:
- `weights_dir`: a diffusers pipeline folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/).
- no `weights_dir` but `options["hub_id"]`: the same from the Hugging Face Hub, for users with internet access.
- neither: the built-in `tiny` pipeline (`diffusion_tiny`), seeded noise through the same code path.

The text-to-image pipeline is loaded once; the image-to-image and inpainting pipelines are derived from it with
`from_pipe`, so every task shares one UNet, VAE and text encoder in memory.

Options: `steps_standard` / `steps_premium` (denoising steps per quality), `max_pixels` (the largest working
resolution; bigger requests are generated at that size and resized, because attention cost grows with the square
of the pixel count), `color_strength` (how far colour-guided generation may move from its palette image) and
`palette_pull` (see `pull_to_palette`).

Conditioned text-to-image (`conditionImage`) runs a ControlNet pipeline derived the same way, with the ControlNet
named by `controlnet_canny` / `controlnet_seg` (see `controlnet.py`); text masks (`maskPrompt`) come from the
CLIPSeg model named by `maskseg` (see `maskseg.py`). Both load on first use. The `tiny` pipeline builds seeded tiny
ones in code instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL import ImageFilter, ImageOps
from PIL.Image import Image

from outcrop.backends import canvas, controlnet, mask_growth, maskseg
from outcrop.backends.base import HEAVY_IMPORT_LOCK, LoadSpec, ProgressFn
from outcrop.backends.denoise import denoise, dtype_kwarg, pipeline_source, scaled_size
from outcrop.backends.placement import module_bytes, pipeline_bytes, place, torch_dtype
from outcrop.errors import ValidationError
from outcrop.tasks import (
    ColorGuidedTask,
    EraseTask,
    ExtendTask,
    ImageVariationTask,
    InpaintTask,
    OutpaintTask,
    Task,
    TaskKind,
    TextToImageTask,
)
from outcrop.tasks.generation import GenerationConfig, ImagesResult, Quality
from outcrop.tasks.imaging import to_rgb
from outcrop.tasks.outpaint import OutpaintMode
from outcrop.tasks.text_to_image import ControlMode, Style

# Nova Canvas's style presets, as prompt suffixes: Stable Diffusion has no style input, but it follows these words.
STYLE_SUFFIX: dict[Style, str] = {
    Style.ANIMATED_FAMILY_FILM_3D: "3D animated family film style, soft lighting, expressive characters",
    Style.DESIGN_SKETCH: "design sketch, pencil lines on paper, concept drawing",
    Style.FLAT_VECTOR_ILLUSTRATION: "flat vector illustration, clean shapes, solid colours",
    Style.GRAPHIC_NOVEL_ILLUSTRATION: "graphic novel illustration, bold ink outlines, dramatic shading",
    Style.MAXIMALISM: "maximalist style, rich patterns, vivid layered detail",
    Style.MIDCENTURY_RETRO: "mid-century retro style, 1950s palette, print texture",
    Style.PHOTOREALISM: "photorealistic, natural light, sharp focus, detailed photograph",
    Style.SOFT_DIGITAL_PAINTING: "soft digital painting, gentle brush strokes, muted tones",
}

# Bedrock's inpainting fills with background when no text is given.
INPAINT_DEFAULT_PROMPT = "background"
MASK_PROMPT_MISSING = (
    "maskPrompt needs a text-to-mask model, which this model's catalog entry does not name (option maskseg); "
    "send a maskImage"
)
CONTROLNET_MISSING = (
    "controlMode {mode} needs a ControlNet model, which this model's catalog entry does not name (option {option}); "
    "remove conditionImage, controlMode and controlStrength"
)
# Similarity 1.0 would be a zero-strength copy; Bedrock still returns a variation, so some noise always remains.
MIN_VARIATION_STRENGTH = 0.1

# The tiny pipeline's defaults keep tests fast; real weights take the catalog's options or these.
_TINY_DEFAULTS = {"steps_standard": 2, "steps_premium": 3, "max_pixels": 64 * 64}
_REAL_DEFAULTS = {"steps_standard": 20, "steps_premium": 40, "max_pixels": 1024 * 1024}


def load(spec: LoadSpec) -> DiffusionBackend:
    """Load the pipeline that `spec` names (see the module docstring) and derive the editing pipelines."""
    import torch

    if spec.threads:
        torch.set_num_threads(spec.threads)
    pipeline, defaults = _load_pipeline(spec)
    options = {**defaults, **dict(spec.options)}
    pipeline = place(pipeline, spec)
    return DiffusionBackend(pipeline, options, tiny=defaults is _TINY_DEFAULTS)


def _load_pipeline(spec: LoadSpec) -> tuple[Any, dict[str, int]]:
    source = pipeline_source(spec)
    if source is None:
        from outcrop.backends import diffusion_tiny

        return diffusion_tiny.build(), _TINY_DEFAULTS
    from diffusers import StableDiffusionPipeline

    dtype = torch_dtype(spec)
    factory: Any = StableDiffusionPipeline
    # Safety filtering is Outcrop's own layer (safety/), not the pipeline's checker.
    pipeline = factory.from_pretrained(source, safety_checker=None, requires_safety_checker=False, **dtype_kwarg(dtype))
    return pipeline, _REAL_DEFAULTS


class DiffusionBackend:
    """One Stable Diffusion model serving every image task; the runtime never enters `run` from two threads."""

    kinds = frozenset(
        {
            TaskKind.TEXT_TO_IMAGE,
            TaskKind.IMAGE_VARIATION,
            TaskKind.INPAINT,
            TaskKind.OUTPAINT,
            TaskKind.COLOR_GUIDED,
            TaskKind.EXTEND,
            TaskKind.ERASE,
        }
    )

    def __init__(self, text_to_image: Any, options: dict[str, Any], *, tiny: bool = False) -> None:
        from diffusers import StableDiffusionImg2ImgPipeline, StableDiffusionInpaintPipeline

        text_to_image.set_progress_bar_config(disable=True)
        img2img: Any = StableDiffusionImg2ImgPipeline
        inpaint: Any = StableDiffusionInpaintPipeline
        self._pipes: dict[str, Any] | None = {
            "text": text_to_image,
            # from_pipe casts to float32 unless told the dtype, which would undo a float16 load.
            "image": img2img.from_pipe(text_to_image, **dtype_kwarg(text_to_image.dtype)),
            "inpaint": inpaint.from_pipe(text_to_image, **dtype_kwarg(text_to_image.dtype)),
        }
        for pipe in self._pipes.values():
            pipe.set_progress_bar_config(disable=True)
        self._options = options
        # The tiny pipeline pairs with seeded tiny ControlNets and text-to-mask model built in code.
        self._tiny = tiny
        self._masker: Any = None
        self.multiple = _size_multiple(text_to_image)

    def run(self, task: Task, progress: ProgressFn) -> ImagesResult:
        match task:
            case TextToImageTask():
                return self._text_to_image(task, progress)
            case ImageVariationTask():
                return self._variation(task, progress)
            case InpaintTask():
                return self._inpaint(task, progress)
            case OutpaintTask():
                return self._outpaint(task, progress)
            case ColorGuidedTask():
                return self._color_guided(task, progress)
            case ExtendTask() | EraseTask():
                return self._extend(task, progress) if isinstance(task, ExtendTask) else self._erase(task, progress)
        raise TypeError(f"the diffusion backend does not run {task.kind} tasks.")

    def close(self) -> None:
        # torch frees the weights when the last reference to the pipelines goes.
        self._pipes = None
        self._masker = None

    def memory_bytes(self) -> int:
        """Weights of every pipeline (shared components once), ControlNets and the text masker loaded so far."""
        pipes = list((self._pipes or {}).values())
        return pipeline_bytes(*pipes) + (module_bytes(self._masker.model) if self._masker is not None else 0)

    # ---- tasks ----------------------------------------------------------------------------------------------

    def _text_to_image(self, task: TextToImageTask, progress: ProgressFn) -> ImagesResult:
        prompt = task.prompt if task.style is None else f"{task.prompt}, {STYLE_SUFFIX[task.style]}"
        config = task.config
        width, height = self.working_size(config.width, config.height)
        kind = "text"
        inputs: dict[str, Any] = {}
        if task.conditioning is not None:
            condition = task.conditioning
            kind = self._control_pipe(condition.mode)
            inputs = {
                "image": controlnet.condition_image(condition.image, condition.mode, (width, height)),
                # 0 adds nothing to the UNet (the unconditioned image); 1 is the ControlNet's trained strength.
                "controlnet_conditioning_scale": float(condition.strength),
            }
        images = self._call(
            kind, prompt, task.negative_prompt, config=config, progress=progress, width=width, height=height, **inputs
        )
        return ImagesResult(images=[exact_size(im, (config.width, config.height)) for im in images])

    def _variation(self, task: ImageVariationTask, progress: ProgressFn) -> ImagesResult:
        # Only the first reference image seeds the latents: averaging pixels of unrelated images gives a blur
        # that resembles none of them. Further references are accepted and not used.
        config = task.config
        size = self.working_size(config.width, config.height)
        start = fit(task.images[0], size)
        strength = max(MIN_VARIATION_STRENGTH, 1.0 - task.similarity_strength)
        images = self._img2img(
            task.prompt or "", task.negative_prompt, config=config, start=start, strength=strength, progress=progress
        )
        return ImagesResult(images=[exact_size(im, (config.width, config.height)) for im in images])

    def _color_guided(self, task: ColorGuidedTask, progress: ProgressFn) -> ImagesResult:
        config = task.config
        size = self.working_size(config.width, config.height)
        colours = task.rgb()
        start = palette_image(colours, size, task.reference_image)
        prompt = f"{task.prompt}, colour palette {', '.join(task.colors)}"
        strength = float(self._options.get("color_strength", 0.8))
        images = self._img2img(
            prompt, task.negative_prompt, config=config, start=start, strength=strength, progress=progress
        )
        pull = float(self._options.get("palette_pull", 0.35))
        out = [pull_to_palette(exact_size(im, (config.width, config.height)), colours, pull) for im in images]
        return ImagesResult(images=out)

    def _inpaint(self, task: InpaintTask, progress: ProgressFn) -> ImagesResult:
        # maskPrompt names what to change: the text mask is black there, as a maskImage would be.
        mask = self._mask(task.image, task.mask, task.mask_prompt)
        # Bedrock's inpainting mask is black where to change; diffusers repaints where the mask is white.
        repaint = mask_growth.grow(invert(mask), task.grow_mask)
        images = self._edit(task.image, repaint, task.prompt or INPAINT_DEFAULT_PROMPT, task, progress)
        return ImagesResult(
            images=[keep_outside(task.image, im, repaint) for im in images],
            masks=[mask] if task.return_mask else [],
        )

    def _outpaint(self, task: OutpaintTask, progress: ProgressFn) -> ImagesResult:
        # maskPrompt names what to keep: the text mask is black there, as a maskImage would be.
        mask = self._mask(task.image, task.mask, task.mask_prompt)
        # Outpainting's mask is black where to keep, so white (regenerate) is already diffusers' convention.
        repaint = mask
        images = self._edit(task.image, repaint, task.prompt, task, progress)
        feather = 0 if task.mode is OutpaintMode.PRECISE else int(self._options.get("feather", 4))
        return ImagesResult(
            images=[keep_outside(task.image, im, repaint, feather) for im in images],
            masks=[mask] if task.return_mask else [],
        )

    def _extend(self, task: ExtendTask, progress: ProgressFn) -> ImagesResult:
        # Creativity is the denoising strength over the border, which starts as the image's blurred edges.
        start, repaint = canvas.extend(task.image, task.left, task.right, task.up, task.down)
        images = self._edit(start, repaint, task.prompt, task, progress, strength=task.creativity)
        alpha = canvas.seam_alpha(repaint, int(self._options.get("feather", 4)))
        return ImagesResult(images=[keep_outside(start, im, alpha) for im in images])

    def _erase(self, task: EraseTask, progress: ProgressFn) -> ImagesResult:
        # The fallback eraser (a LaMa-class model is the real one): inpainting with no prompt fills with background.
        repaint = mask_growth.grow(task.mask, task.grow_mask)
        images = self._edit(task.image, repaint, "", task, progress)
        return ImagesResult(images=[keep_outside(task.image, im, repaint) for im in images])

    # ---- models loaded on first use ---------------------------------------------------------------------------

    def _mask(self, image: Image, mask: Image | None, mask_prompt: str | None) -> Image:
        """The request's mask image, or the binary mask (black = named region) its maskPrompt gives."""
        if mask is not None:
            return mask
        if not mask_prompt:
            raise ValidationError(MASK_PROMPT_MISSING)
        if self._masker is None:
            with HEAVY_IMPORT_LOCK:  # a first load inside `run` may import transformers while another model loads
                self._masker = self._load_masker()
        result: Image = self._masker.mask(image, mask_prompt)
        return result

    def _load_masker(self) -> Any:
        source = self._options.get("maskseg")
        if source:
            text = self._text_pipe()
            return maskseg.load(str(source), device=str(text.device), dtype=text.dtype)
        if self._tiny:
            text = self._text_pipe()
            return maskseg.build_tiny().to(str(text.device), text.dtype)
        raise ValidationError(MASK_PROMPT_MISSING)

    def _control_pipe(self, mode: ControlMode) -> str:
        """The key of the ControlNet pipeline for `mode`, derived from the text pipeline on first use."""
        key = f"control:{mode.value}"
        pipes = self._pipes
        if pipes is None:
            raise RuntimeError("this diffusion backend was closed; load it again.")
        if key not in pipes:
            with HEAVY_IMPORT_LOCK:  # a first load inside `run` may import diffusers while another model loads
                pipes[key] = self._control_pipeline(pipes["text"], mode)
        return key

    def _control_pipeline(self, text: Any, mode: ControlMode) -> Any:
        source = self._options.get(controlnet.OPTION[mode])
        if source:
            model = controlnet.load_real(str(source), **dtype_kwarg(text.dtype))
        elif self._tiny:
            model = controlnet.build_tiny(text.unet, int(text.vae_scale_factor), mode)
        else:
            raise ValidationError(CONTROLNET_MISSING.format(mode=mode.value, option=controlnet.OPTION[mode]))
        from diffusers import StableDiffusionControlNetPipeline

        factory: Any = StableDiffusionControlNetPipeline
        if (model.device, model.dtype) != (text.device, text.dtype):
            model = model.to(text.device, text.dtype)
        pipe = factory.from_pipe(text, controlnet=model, **dtype_kwarg(text.dtype))
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def _text_pipe(self) -> Any:
        if self._pipes is None:
            raise RuntimeError("this diffusion backend was closed; load it again.")
        return self._pipes["text"]

    # ---- shared steps -----------------------------------------------------------------------------------------

    def _edit(
        self,
        image: Image,
        repaint: Image,
        prompt: str,
        task: InpaintTask | OutpaintTask | ExtendTask | EraseTask,
        progress: ProgressFn,
        *,
        strength: float = 1.0,
    ) -> list[Image]:
        """Repaint the white part of `repaint` at working size; the caller pastes the kept pixels back."""
        size = self.working_size(*image.size)
        source = to_rgb(image).resize(size, PILImage.Resampling.LANCZOS)
        mask = repaint.resize(size, PILImage.Resampling.NEAREST)
        width, height = size
        images = self._call(
            "inpaint",
            prompt,
            None if isinstance(task, EraseTask) else task.negative_prompt,
            config=task.config,
            progress=progress,
            image=source,
            mask_image=mask,
            width=width,
            height=height,
            # diffusers runs int(steps * strength) steps; scaling the schedule keeps the quality's step count.
            steps=math.ceil(self._steps(task.config) / strength),
            strength=strength,
        )
        return [im.resize(image.size, PILImage.Resampling.LANCZOS) for im in images]

    def _img2img(
        self,
        prompt: str,
        negative: str | None,
        *,
        config: GenerationConfig,
        start: Image,
        strength: float,
        progress: ProgressFn,
    ) -> list[Image]:
        # diffusers runs int(steps * strength) steps; scaling the schedule keeps about the quality's step count
        # whatever the strength, and the ceiling makes even the smallest strength run at least one step.
        steps = math.ceil(self._steps(config) / strength)
        return self._call(
            "image", prompt, negative, config=config, progress=progress, steps=steps, image=start, strength=strength
        )

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
        steps = steps or self._steps(config)
        if self._pipes is None:
            raise RuntimeError("this diffusion backend was closed; load it again.")
        return denoise(self._pipes[kind], steps=steps, count=config.number_of_images, seed=config.seed,
                       progress=progress, prompt=prompt, negative_prompt=negative, guidance_scale=config.cfg_scale,
                       **inputs)  # fmt: skip

    def _steps(self, config: GenerationConfig) -> int:
        key = "steps_premium" if config.quality is Quality.PREMIUM else "steps_standard"
        return int(self._options[key])

    def working_size(self, width: int, height: int) -> tuple[int, int]:
        """The size to generate at: the request's aspect, at most `max_pixels`, in multiples the model needs."""
        return scaled_size(width, height, int(self._options["max_pixels"]), self.multiple)


def _size_multiple(pipe: Any) -> int:
    """Pixels per latent cell times the UNet's downsampling, so every block sees whole cells (SD 1.x: 64)."""
    downsamples = 2 ** (len(pipe.unet.config.block_out_channels) - 1)
    # diffusers checks that sizes divide by 8 whatever the VAE.
    return max(8, int(pipe.vae_scale_factor) * downsamples)


# ---- pixels ----------------------------------------------------------------------------------------------------


def exact_size(image: Image, size: tuple[int, int]) -> Image:
    """The working size differs from the request by rounding and by `max_pixels`; the caller gets what it asked."""
    return image if image.size == size else image.resize(size, PILImage.Resampling.LANCZOS)


def fit(image: Image, size: tuple[int, int]) -> Image:
    """Scale and centre-crop to `size`, so a reference of another aspect is not stretched."""
    return ImageOps.fit(to_rgb(image), size, PILImage.Resampling.LANCZOS)


def palette_image(colours: Sequence[tuple[int, int, int]], size: tuple[int, int], reference: Image | None) -> Image:
    """Soft vertical stripes of the palette (blurred so no hard edge dictates the layout), over the reference."""
    width, height = size
    columns = np.linspace(0, len(colours), num=width, endpoint=False).astype(int)
    stripes = np.asarray(colours, dtype=np.uint8)[columns][np.newaxis].repeat(height, axis=0)
    palette = PILImage.fromarray(stripes).filter(ImageFilter.GaussianBlur(width / len(colours) / 4))
    if reference is None:
        return palette
    return PILImage.blend(fit(reference, size), palette, 0.5)


def pull_to_palette(image: Image, colours: Sequence[tuple[int, int, int]], amount: float) -> Image:
    """Move every pixel `amount` of the way to its nearest palette colour.

    Denoising from a palette image starts the colours right, but the model may drift from them (and the tiny
    model's random VAE ignores them); this partial pull keeps the output's dominant colours near the request
    while leaving shading and texture. 0 turns it off.
    """
    if amount <= 0:
        return image
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    palette = np.asarray(colours, dtype=np.float32)
    distances = ((pixels[..., np.newaxis, :] - palette) ** 2).sum(axis=-1)
    nearest = palette[distances.argmin(axis=-1)]
    pulled = pixels + amount * (nearest - pixels)
    return PILImage.fromarray(np.clip(pulled + 0.5, 0, 255).astype(np.uint8))


def invert(mask: Image) -> Image:
    return ImageOps.invert(mask.convert("L"))


def keep_outside(original: Image, generated: Image, repaint: Image, feather: int = 0) -> Image:
    """The generated pixels where `repaint` is white, the original's elsewhere.

    The VAE round trip changes every pixel a little; pasting the original back keeps the unmasked region exact.
    `feather` (pixels) softens the seam, at the cost of blending the kept region's edge.
    """
    alpha = repaint.convert("L")
    if feather > 0:
        alpha = alpha.filter(ImageFilter.GaussianBlur(feather))
    return PILImage.composite(generated.convert("RGB"), to_rgb(original), alpha)
