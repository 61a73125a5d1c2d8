"""Virtual try-on (Nova Canvas VIRTUAL_TRY_ON): inpaint the masked part of the source image with the reference
item as an image condition, on Stable Diffusion 1.5 with an IP-Adapter (diffusers).

The mask comes from `tryon_mask.py` (the caller's image, a text mask of the maskPrompt, or of the garment class).
The inpainting pipeline sees the reference image through the IP-Adapter (`ip_adapter_image`): its CLIP image
embedding becomes extra context tokens in every cross-attention layer, so the filled region takes the item's
look rather than a text description of it. Nova's try-on takes no text; the prompt is a fixed phrase naming the
garment class, or none.

Weights, by LoadSpec, as `diffusion.py`: a pipeline folder (`weights_dir`), `options["hub_id"]`, or the built-in
tiny pipeline with a seeded tiny IP-Adapter (`tryon_tiny.py`) and text masker. Options: `ip_adapter` (hub id or
folder of h94/IP-Adapter's layout; `ip_adapter_subfolder`, `ip_adapter_weight` pick the file), `ip_adapter_scale`
(how strongly the reference steers, default 0.8), `maskseg` (the CLIPSeg model), `steps`, `max_pixels`,
`pose_strength` (denoising strength when preserveBodyPose is ON or DEFAULT: the source's pixels under the mask
seed the latents, keeping the body's shape; OFF repaints from noise), `seam_feather` (SEAMLESS blend width in
pixels) and `detail_margin` (DETAILED: share of the mask's box added around it before the crop is inpainted).

mergeStyle: BALANCED keeps every pixel outside the mask exactly; SEAMLESS blends a feathered band across the
mask's edge; DETAILED inpaints a crop around the mask at the full working resolution and pastes it back, so
small garments get more pixels.
"""

from __future__ import annotations

import math
from typing import Any

from PIL import Image as PILImage
from PIL.Image import Image

from outcrop.backends import maskseg, tryon_mask
from outcrop.backends.base import HEAVY_IMPORT_LOCK, LoadSpec, ProgressFn
from outcrop.backends.denoise import denoise, dtype_kwarg, pipeline_source, scaled_size
from outcrop.backends.diffusion import invert, keep_outside
from outcrop.backends.placement import module_bytes, pipeline_bytes, place, torch_dtype
from outcrop.errors import ValidationError
from outcrop.tasks import Task, TaskKind, VirtualTryOnTask
from outcrop.tasks.generation import ImagesResult
from outcrop.tasks.imaging import to_rgb

_TINY_DEFAULTS: dict[str, Any] = {"steps": 2, "max_pixels": 64 * 64}
_REAL_DEFAULTS: dict[str, Any] = {
    "steps": 30,
    "max_pixels": 512 * 512,
    "ip_adapter_subfolder": "models",
    "ip_adapter_weight": "ip-adapter_sd15.safetensors",
}
_COMMON: dict[str, Any] = {"ip_adapter_scale": 0.8, "pose_strength": 0.85, "seam_feather": 8, "detail_margin": 0.15}
MASKER_MISSING = (
    "maskType {mask_type} needs a text-to-mask model, which this model's catalog entry does not name (option "
    "maskseg); send maskType IMAGE with an imageBasedMask"
)
IP_ADAPTER_MISSING = (
    "virtual try-on needs an IP-Adapter, which this model's catalog entry does not name (option ip_adapter)"
)
GARMENT_CLASS_MISSING = (
    "virtualTryOnParams.garmentBasedMask.garmentClass is required with maskType GARMENT; send one such as "
    "UPPER_BODY, LOWER_BODY, FULL_BODY or FOOTWEAR"
)
IMAGE_PROMPT = "a photo, natural light, detailed"


def load(spec: LoadSpec) -> TryOnBackend:
    import torch

    if spec.threads:
        torch.set_num_threads(spec.threads)
    source = pipeline_source(spec)
    options = {**_COMMON, **(_REAL_DEFAULTS if source else _TINY_DEFAULTS), **dict(spec.options)}
    pipe = _inpaint_pipeline(source, spec)
    if source:
        if not options.get("ip_adapter"):
            raise ValidationError(IP_ADAPTER_MISSING)
        pipe.load_ip_adapter(
            str(options["ip_adapter"]),
            subfolder=options["ip_adapter_subfolder"],
            weight_name=options["ip_adapter_weight"],
        )
    else:
        from outcrop.backends import tryon_tiny

        tryon_tiny.attach(pipe)
    pipe.set_ip_adapter_scale(float(options["ip_adapter_scale"]))
    return TryOnBackend(place(pipe, spec), options, tiny=not source)


def _inpaint_pipeline(source: str | None, spec: LoadSpec) -> Any:
    """A StableDiffusionInpaintPipeline of its own: loading an IP-Adapter changes the UNet's attention layers, so
    this backend never shares a UNet with the `diffusion` backend."""
    from diffusers import StableDiffusionInpaintPipeline, StableDiffusionPipeline

    if source:
        factory: Any = StableDiffusionPipeline
        dtype = dtype_kwarg(torch_dtype(spec))
        text = factory.from_pretrained(source, safety_checker=None, requires_safety_checker=False, **dtype)
    else:
        from outcrop.backends import diffusion_tiny

        text = diffusion_tiny.build()
    inpaint: Any = StableDiffusionInpaintPipeline
    pipe = inpaint.from_pipe(text, **dtype_kwarg(text.dtype))
    pipe.set_progress_bar_config(disable=True)
    return pipe


class TryOnBackend:
    kinds = frozenset({TaskKind.VIRTUAL_TRY_ON})

    def __init__(self, pipe: Any, options: dict[str, Any], *, tiny: bool) -> None:
        self._pipe: Any = pipe
        self._options = options
        self._tiny = tiny
        self._masker: Any = None
        self.multiple = max(8, int(pipe.vae_scale_factor) * 2 ** (len(pipe.unet.config.block_out_channels) - 1))

    def run(self, task: Task, progress: ProgressFn) -> ImagesResult:
        if not isinstance(task, VirtualTryOnTask):
            raise TypeError(f"the tryon backend does not run {task.kind} tasks.")
        mask = self.mask_for(task)
        repaint = invert(mask)  # diffusers repaints where the mask is white
        source = to_rgb(task.source_image)
        style = str(task.options.get("mergeStyle", "BALANCED"))
        if style == "DETAILED":
            images = self._detailed(task, source, repaint, progress)
        else:
            images = self._inpaint(task, source, repaint, progress)
        feather = int(self._options["seam_feather"]) if style == "SEAMLESS" else 0
        return ImagesResult(
            images=[keep_outside(source, image, repaint, feather) for image in images],
            masks=[mask] if task.return_mask else [],
        )

    def close(self) -> None:
        self._pipe = None
        self._masker = None

    def memory_bytes(self) -> int:
        masker = module_bytes(self._masker.model) if self._masker is not None else 0
        return (pipeline_bytes(self._pipe) if self._pipe is not None else 0) + masker

    # ---- mask --------------------------------------------------------------------------------------------------

    def mask_for(self, task: VirtualTryOnTask) -> Image:
        """The try-on mask (black = replace) at the source's size."""
        if task.mask_type == "IMAGE":
            if task.mask_image is None:
                raise ValidationError("maskType IMAGE needs imageBasedMask.maskImage; send it.")
            return task.mask_image.convert("L")
        exclusions = task.options.get("maskExclusions", {})
        if task.mask_type == "GARMENT":
            if task.garment_class is None:
                raise ValidationError(GARMENT_CLASS_MISSING)
            phrases, garment = tryon_mask.GARMENT_PHRASES[task.garment_class], True
        else:
            phrases, garment = (str(task.mask_prompt),), False
        shape = str(task.options.get("maskShape", "DEFAULT"))
        masker = self._text_masker(task.mask_type)
        return tryon_mask.computed_mask(
            masker, task.source_image, phrases, shape, garment=garment, exclusions=exclusions
        )

    def _text_masker(self, mask_type: str) -> Any:
        if self._masker is None:
            with HEAVY_IMPORT_LOCK:  # a first load inside `run` may import transformers while another model loads
                device, dtype = str(self._pipe.device), self._pipe.dtype
                if self._options.get("maskseg"):
                    self._masker = maskseg.load(str(self._options["maskseg"]), device=device, dtype=dtype)
                elif self._tiny:
                    self._masker = maskseg.build_tiny().to(device, dtype)
                else:
                    raise ValidationError(MASKER_MISSING.format(mask_type=mask_type))
        return self._masker

    # ---- inpainting --------------------------------------------------------------------------------------------

    def _inpaint(
        self, task: VirtualTryOnTask, source: Image, repaint: Image, progress: ProgressFn, *, upscale: bool = False
    ) -> list[Image]:
        """Inpaint the white part of `repaint` at working size; images come back at the source's size."""
        width, height = self.working_size(*source.size, upscale=upscale)

        pose = task.options.get("maskExclusions", {}).get("preserveBodyPose", "DEFAULT")
        strength = 1.0 if pose == "OFF" else float(self._options["pose_strength"])
        steps = math.ceil(int(self._options["steps"]) / strength)
        config = task.config
        images = denoise(self._pipe, steps=steps, count=config.number_of_images, seed=config.seed, progress=progress,
                         prompt=self._prompt(task), image=source.resize((width, height), PILImage.Resampling.LANCZOS),
                         mask_image=repaint.resize((width, height), PILImage.Resampling.NEAREST),
                         ip_adapter_image=to_rgb(task.reference_image), width=width, height=height, strength=strength,
                         guidance_scale=config.cfg_scale)  # fmt: skip
        return [image.resize(source.size, PILImage.Resampling.LANCZOS) for image in images]

    def _detailed(self, task: VirtualTryOnTask, source: Image, repaint: Image, progress: ProgressFn) -> list[Image]:
        """Inpaint a crop around the mask at full working resolution and paste it back into the source."""
        box = _crop_box(repaint, float(self._options["detail_margin"]))
        crops = self._inpaint(task, source.crop(box), repaint.crop(box), progress, upscale=True)
        pasted = []
        for crop in crops:
            whole = source.copy()
            whole.paste(crop, box[:2])
            pasted.append(whole)
        return pasted

    def _prompt(self, task: VirtualTryOnTask) -> str:
        if task.mask_type == "GARMENT" and task.garment_class is not None:
            return f"a person wearing {tryon_mask.garment_words(task.garment_class)}, photo, detailed"
        return IMAGE_PROMPT

    def working_size(self, width: int, height: int, *, upscale: bool = False) -> tuple[int, int]:
        """`width` x `height`'s aspect at most `max_pixels` (exactly that many when `upscale`), in multiples the
        UNet needs."""
        return scaled_size(width, height, int(self._options["max_pixels"]), self.multiple, upscale=upscale)


def _crop_box(repaint: Image, margin: float) -> tuple[int, int, int, int]:
    """The white region's bounding box, grown by `margin` of its size on every side, inside the image."""
    left, top, right, bottom = repaint.getbbox() or (0, 0, *repaint.size)
    grow_x, grow_y = int((right - left) * margin), int((bottom - top) * margin)
    return (max(0, left - grow_x), max(0, top - grow_y),
            min(repaint.width, right + grow_x), min(repaint.height, bottom + grow_y))  # fmt: skip
