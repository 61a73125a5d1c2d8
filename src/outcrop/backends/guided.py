"""Image-guided Stable Diffusion (Stability's Control Sketch, Control Structure, Style Guide and Style Transfer).

Where the weights come from, by LoadSpec: a Stable Diffusion 1.x pipeline from `weights_dir`, else
`options["hub_id"]`, else the built-in `tiny` pipeline (`diffusion_tiny`) with seeded tiny ControlNets
(`controlnet.build_tiny`) and a seeded tiny IP-Adapter (`guided_tiny`). The guides load on first use:
- Sketch: a scribble ControlNet (`controlnet_sketch`, e.g. `lllyasviel/sd-controlnet-scribble`). Its training
  input is white strokes on black, so a drawing on a light background is inverted, and every drawing thresholded.
- Structure: a Canny ControlNet (`controlnet_structure`, e.g. `lllyasviel/sd-controlnet-canny`) on the image's
  edges (`controlnet.canny_edges`). `control_strength` is the ControlNet's conditioning scale.
- Style: an IP-Adapter (`ip_adapter`, e.g. `h94/IP-Adapter`, with `ip_adapter_subfolder` "models",
  `ip_adapter_weight` "ip-adapter_sd15.safetensors" and its `image_encoder` folder): the style image's CLIP
  embedding joins the prompt in cross-attention, scaled by Style Guide's `fidelity` or Style Transfer's
  `style_strength`.
- Style Transfer is ControlNet img2img: it starts from `init_image` noised by `change_strength` (img2img
  strength), keeps its layout through the Canny ControlNet scaled by `composition_fidelity`, and takes the style
  through the IP-Adapter.
The IP-Adapter lives in the shared UNet's attention layers, so once loaded every pipeline must give it an image;
the control tasks then give a blank one at scale 0, which adds nothing.

Options: `steps` (default 25; tiny 2), `max_pixels` (the largest working size, default 512x512; tiny 64x64:
outputs are generated at most that large and resized to the requested size).
"""

from __future__ import annotations

import math
from typing import Any

from PIL import Image as PILImage
from PIL.Image import Image

from outcrop.backends import controlnet
from outcrop.backends.base import HEAVY_IMPORT_LOCK, LoadSpec, ProgressFn
from outcrop.backends.denoise import denoise, dtype_kwarg, pipeline_source, scaled_size
from outcrop.backends.diffusion import exact_size, fit
from outcrop.backends.placement import pipeline_bytes, place, torch_dtype
from outcrop.errors import ValidationError
from outcrop.tasks import ControlImageTask, StyleGuideTask, StyleTransferTask, Task, TaskKind
from outcrop.tasks.control_image import ControlKind
from outcrop.tasks.generation import GenerationConfig, ImagesResult
from outcrop.tasks.imaging import to_rgb
from outcrop.tasks.text_to_image import ControlMode

CONTROL_OPTION = {ControlKind.SKETCH: "controlnet_sketch", ControlKind.STRUCTURE: "controlnet_structure"}
# The tiny ControlNets are seeded per mode in controlnet.build_tiny; the sketch one borrows the second seed.
TINY_SEED_MODE = {ControlKind.SKETCH: ControlMode.SEGMENTATION, ControlKind.STRUCTURE: ControlMode.CANNY_EDGE}
MISSING = "{what} needs a model this model's catalog entry does not name (option {option}); bind weights that do."
SKETCH_THRESHOLD = 128

_TINY_DEFAULTS: dict[str, Any] = {"steps": 2, "max_pixels": 64 * 64}
_REAL_DEFAULTS: dict[str, Any] = {
    "steps": 25,
    "max_pixels": 512 * 512,
    "ip_adapter_subfolder": "models",
    "ip_adapter_weight": "ip-adapter_sd15.safetensors",
    "image_encoder_folder": "image_encoder",
}


def load(spec: LoadSpec) -> GuidedBackend:
    import torch

    if spec.threads:
        torch.set_num_threads(spec.threads)
    source = pipeline_source(spec)
    if source:
        from diffusers import StableDiffusionPipeline

        factory: Any = StableDiffusionPipeline
        kwargs = dtype_kwarg(torch_dtype(spec))
        pipeline = factory.from_pretrained(str(source), safety_checker=None, requires_safety_checker=False, **kwargs)
        defaults, tiny = _REAL_DEFAULTS, False
    else:
        from outcrop.backends import diffusion_tiny

        pipeline, defaults, tiny = diffusion_tiny.build(), _TINY_DEFAULTS, True
    return GuidedBackend(place(pipeline, spec), {**defaults, **dict(spec.options)}, tiny=tiny)


def sketch_map(image: Image, size: tuple[int, int]) -> Image:
    """White strokes on black at `size`, as scribble ControlNets were trained on."""
    grey = to_rgb(image).convert("L").resize(size, PILImage.Resampling.LANCZOS)
    light_background = sum(grey.getdata()) / (size[0] * size[1]) > SKETCH_THRESHOLD
    strokes = grey.point(lambda v: 255 if (v < SKETCH_THRESHOLD) == light_background else 0)
    return strokes.convert("RGB")


def condition_map(image: Image, control: ControlKind, size: tuple[int, int]) -> Image:
    if control is ControlKind.SKETCH:
        return sketch_map(image, size)
    return controlnet.canny_edges(image, size)


class GuidedBackend:
    """One Stable Diffusion model with its ControlNets and IP-Adapter; `run` is never entered by two threads."""

    kinds = frozenset({TaskKind.CONTROL_IMAGE, TaskKind.STYLE_GUIDE, TaskKind.STYLE_TRANSFER})

    def __init__(self, text_to_image: Any, options: dict[str, Any], *, tiny: bool = False) -> None:
        text_to_image.set_progress_bar_config(disable=True)
        self._pipes: dict[str, Any] | None = {"text": text_to_image}
        self._options = options
        self._tiny = tiny
        self._ip_loaded = False
        unet = text_to_image.unet
        # ControlNet.from_unet cannot copy a UNet that holds an IP-Adapter, so the tiny ones are drawn up front.
        kinds = tuple(ControlKind) if tiny else ()
        self._tiny_nets = {control: self._tiny_controlnet(text_to_image, control) for control in kinds}
        self.multiple = max(8, int(text_to_image.vae_scale_factor) * 2 ** (len(unet.config.block_out_channels) - 1))

    def run(self, task: Task, progress: ProgressFn) -> ImagesResult:
        match task:
            case ControlImageTask():
                images = self._control(task, progress)
            case StyleGuideTask():
                images = self._style_guide(task, progress)
            case StyleTransferTask():
                images = self._style_transfer(task, progress)
            case _:
                raise TypeError(f"the guided diffusion backend does not run {task.kind} tasks.")
        size = (task.config.width, task.config.height)
        return ImagesResult(images=[exact_size(image, size) for image in images])

    def close(self) -> None:
        self._pipes = None

    def memory_bytes(self) -> int:
        return pipeline_bytes(*(self._pipes or {}).values())

    # ---- tasks ----------------------------------------------------------------------------------------------

    def _control(self, task: ControlImageTask, progress: ProgressFn) -> list[Image]:
        size = self.working_size(task.config.width, task.config.height)
        pipe = self._control_pipe("control", task.control)
        return self._call(
            pipe,
            _styled(task.prompt, task.style_preset),
            task.negative_prompt,
            task.config,
            progress,
            image=condition_map(task.image, task.control, size),
            controlnet_conditioning_scale=float(task.strength),
            width=size[0],
            height=size[1],
            **self._no_style(),
        )

    def _style_guide(self, task: StyleGuideTask, progress: ProgressFn) -> list[Image]:
        width, height = self.working_size(task.config.width, task.config.height)
        return self._call(
            self._pipe("text"),
            _styled(task.prompt, task.style_preset),
            task.negative_prompt,
            task.config,
            progress,
            width=width,
            height=height,
            **self._style(task.image, task.fidelity),
        )

    def _style_transfer(self, task: StyleTransferTask, progress: ProgressFn) -> list[Image]:
        size = self.working_size(task.config.width, task.config.height)
        pipe = self._control_pipe("transfer", ControlKind.STRUCTURE)
        strength = float(task.change_strength)
        return self._call(
            pipe,
            task.prompt or "",
            task.negative_prompt,
            task.config,
            progress,
            # diffusers runs int(steps * strength) steps; scaling keeps about `steps` whatever the strength.
            steps=math.ceil(int(self._options["steps"]) / strength),
            image=fit(task.init_image, size),
            control_image=controlnet.canny_edges(task.init_image, size),
            strength=strength,
            controlnet_conditioning_scale=float(task.composition_fidelity),
            **self._style(task.style_image, task.style_strength),
        )

    # ---- pipelines and guides, loaded on first use ----------------------------------------------------------

    def _pipe(self, key: str) -> Any:
        if self._pipes is None:
            raise RuntimeError("this guided diffusion backend was closed; load it again.")
        return self._pipes[key]

    def _control_pipe(self, use: str, control: ControlKind) -> Any:
        """The ControlNet pipeline for `control` ("control": text-to-image; "transfer": img2img), derived from the
        text pipeline on first use, sharing its UNet, VAE and text encoder."""
        key = f"{use}:{control.value}"
        pipes = self._pipes
        if pipes is None:
            raise RuntimeError("this guided diffusion backend was closed; load it again.")
        if key not in pipes:
            with HEAVY_IMPORT_LOCK:  # a first load inside `run` may import diffusers while another model loads
                pipes[key] = self._derive(pipes["text"], use, self._controlnet(pipes["text"], control))
        return pipes[key]

    def _controlnet(self, text: Any, control: ControlKind) -> Any:
        option = CONTROL_OPTION[control]
        source = self._options.get(option)
        if source:
            model = controlnet.load_real(str(source), **dtype_kwarg(text.dtype))
        elif self._tiny:
            model = self._tiny_nets[control]
        else:
            raise ValidationError(MISSING.format(what=f"Control {control.value.title()}", option=option))
        return _moved(model, text)

    @staticmethod
    def _tiny_controlnet(text: Any, control: ControlKind) -> Any:
        return controlnet.build_tiny(text.unet, int(text.vae_scale_factor), TINY_SEED_MODE[control])

    def _derive(self, text: Any, use: str, model: Any) -> Any:
        from diffusers import StableDiffusionControlNetImg2ImgPipeline, StableDiffusionControlNetPipeline

        factory: Any = StableDiffusionControlNetImg2ImgPipeline
        if use == "control":
            factory = StableDiffusionControlNetPipeline
        pipe = factory.from_pipe(text, controlnet=model, **dtype_kwarg(text.dtype))
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def _style(self, image: Image, scale: float) -> dict[str, Any]:
        """Pipeline inputs that add `image`'s style at `scale`, loading the IP-Adapter first if needed."""
        if not self._ip_loaded:
            with HEAVY_IMPORT_LOCK:
                self._load_ip_adapter()
        self._pipe("text").set_ip_adapter_scale(float(scale))
        return {"ip_adapter_image": to_rgb(image)}

    def _no_style(self) -> dict[str, Any]:
        """Once the IP-Adapter is in the UNet it needs an image: a blank one at scale 0 adds nothing."""
        if not self._ip_loaded:
            return {}
        return self._style(PILImage.new("RGB", (64, 64), (127, 127, 127)), 0.0)

    def _load_ip_adapter(self) -> None:
        text = self._pipe("text")
        source = self._options.get("ip_adapter")
        if source:
            text.load_ip_adapter(
                str(source),
                subfolder=self._options["ip_adapter_subfolder"],
                weight_name=self._options["ip_adapter_weight"],
                image_encoder_folder=self._options["image_encoder_folder"],
            )
        elif self._tiny:
            from outcrop.backends import guided_tiny

            encoder, processor = guided_tiny.image_encoder()
            text.register_modules(image_encoder=_moved(encoder, text), feature_extractor=processor)
            text.load_ip_adapter(guided_tiny.adapter_state_dict(text.unet), subfolder="", weight_name="")
        else:
            raise ValidationError(MISSING.format(what="Style guidance", option="ip_adapter"))
        # Pipelines derived before the adapter came share its UNet but not the image encoder: hand it over.
        for pipe in (self._pipes or {}).values():
            pipe.register_modules(image_encoder=text.image_encoder, feature_extractor=text.feature_extractor)
        self._ip_loaded = True

    # ---- shared steps ---------------------------------------------------------------------------------------

    def _call(
        self,
        pipe: Any,
        prompt: str,
        negative: str | None,
        config: GenerationConfig,
        progress: ProgressFn,
        *,
        steps: int | None = None,
        **inputs: Any,
    ) -> list[Image]:
        return denoise(pipe, steps=steps or int(self._options["steps"]), count=config.number_of_images,
                       seed=config.seed, progress=progress, prompt=prompt, negative_prompt=negative,
                       guidance_scale=config.cfg_scale, **inputs)  # fmt: skip

    def working_size(self, width: int, height: int) -> tuple[int, int]:
        """The request's aspect at most `max_pixels`, in the multiples the UNet needs."""
        return scaled_size(width, height, int(self._options["max_pixels"]), self.multiple)


def _moved(model: Any, like: Any) -> Any:
    """`model` on `like`'s device and dtype (diffusers logs about every `.to`, so only when it moves)."""
    if (model.device, model.dtype) == (like.device, like.dtype):
        return model
    return model.to(like.device, like.dtype)


def _styled(prompt: str, preset: str | None) -> str:
    """Stability's `style_preset` as words the prompt ends with (Stable Diffusion has no style input)."""
    return f"{prompt}, {preset.replace('-', ' ')} style" if preset else prompt
