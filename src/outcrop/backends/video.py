"""Text-to-video with diffusers' TextToVideoSDPipeline (the UNet3D family: ModelScope text-to-video, zeroscope).

Where the weights come from, by LoadSpec:
- `weights_dir`: a diffusers pipeline folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/).
- no `weights_dir` but `options["hub_id"]`: the same from the Hugging Face Hub, for users with internet access.
- weights `tiny-video` (builtin): the seeded tiny pipeline built in code (`video_tiny`).

A shot with an image runs VideoToVideoSDPipeline over the same components: the still repeated as the init video,
noised by `image_strength`, so the shot moves away from the picture only as far as that strength lets it. Nova Reel
uses the image as the first frame, so the shot's first frame is the image itself (fitted to the generation size).

Options (catalog): `gen_width`, `gen_height`, `gen_frames`, `gen_fps` (what the model generates per shot; the
codec in `tasks/video_codec.py` resizes and retimes to the task's 1280x720 at 24 fps while encoding), `steps`,
`guidance_scale`, `image_strength`, `dtype`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL import ImageOps
from PIL.Image import Image

from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.backends.denoise import dtype_kwarg, pipeline_source
from outcrop.backends.placement import pipeline_bytes, place, torch_dtype
from outcrop.tasks import Task, TaskKind
from outcrop.tasks.imaging import to_rgb
from outcrop.tasks.text_to_video import (
    SHOT_SECONDS,
    TextToVideoTask,
    VideoMode,
    VideoResult,
    VideoShot,
    split_into_shots,
)

TINY_WEIGHTS = "tiny-video"
# zeroscope_v2_576w's training size and length; 8 fps is what its authors export at. 30 DPM-Solver steps is
# the usual quality/speed point for it.
_REAL_DEFAULTS: dict[str, Any] = {
    "gen_width": 576,
    "gen_height": 320,
    "gen_frames": 24,
    "gen_fps": 8,
    "steps": 30,
    "guidance_scale": 9.0,
    "image_strength": 0.6,
}


def load(spec: LoadSpec) -> VideoBackend:
    """Load the pipeline that `spec` names (see the module docstring)."""
    import torch

    strength = spec.options.get("image_strength", _REAL_DEFAULTS["image_strength"])
    # Checked before the weights load: 0 would divide the step count by zero, above 1 diffusers refuses.
    if not 0 < float(strength) <= 1:
        raise ValueError(f"image_strength must be in (0, 1], not {strength!r}.")
    if spec.threads:
        torch.set_num_threads(spec.threads)
    pipeline, defaults = _load_pipeline(spec)
    pipeline = place(pipeline, spec)
    return VideoBackend(pipeline, {**defaults, **dict(spec.options)})


def _load_pipeline(spec: LoadSpec) -> tuple[Any, dict[str, Any]]:
    source = pipeline_source(spec)  # the catalog checked the folder's files before this load
    if source is not None:
        return _from_pretrained(source, spec), _REAL_DEFAULTS
    if spec.weights == TINY_WEIGHTS:
        from outcrop.backends import video_tiny

        return video_tiny.build(), video_tiny.OPTIONS
    raise FileNotFoundError(
        f"Video weights '{spec.weights}' have no folder and no hub_id option; "
        f"install them with: outcrop models pull {spec.weights}"
    )


def _from_pretrained(source: str, spec: LoadSpec) -> Any:
    from diffusers import TextToVideoSDPipeline

    factory: Any = TextToVideoSDPipeline
    return factory.from_pretrained(source, **dtype_kwarg(torch_dtype(spec)))


class VideoBackend:
    """One text-to-video model; shots run one after another, each with its own seed."""

    kinds = frozenset({TaskKind.TEXT_TO_VIDEO})

    def __init__(self, text_to_video: Any, options: dict[str, Any]) -> None:
        from diffusers import VideoToVideoSDPipeline

        factory: Any = VideoToVideoSDPipeline
        # Built from the same modules rather than `from_pipe`, which casts to float32 unless told the dtype: the
        # two pipelines share one UNet, VAE and text encoder in memory whatever the dtype.
        self._pipes: dict[str, Any] | None = {"text": text_to_video, "image": factory(**text_to_video.components)}
        for pipe in self._pipes.values():
            pipe.set_progress_bar_config(disable=True)
        self._options = options

    @property
    def size(self) -> tuple[int, int]:
        """The generation size (width, height)."""
        return int(self._options["gen_width"]), int(self._options["gen_height"])

    def run(self, task: Task, progress: ProgressFn) -> VideoResult:
        if not isinstance(task, TextToVideoTask):
            raise TypeError(f"the video backend does not run {task.kind} tasks.")
        shots = plan_shots(task)
        counts = [self._steps_run(shot) for shot in shots]
        starts = list(itertools.accumulate(counts, initial=0))[:-1]
        frames = tuple(
            self._shot(shot, task.seed + index, _reporter(progress, start, sum(counts)))
            for index, (shot, start) in enumerate(zip(shots, starts, strict=True))
        )
        progress(1.0)
        return VideoResult(shots=frames, fps=int(self._options["gen_fps"]))

    def close(self) -> None:
        # torch frees the weights when the last reference to the pipelines goes.
        self._pipes = None

    def memory_bytes(self) -> int:
        """Weights of the text-to-video and video-to-video pipelines (which share their modules)."""
        return pipeline_bytes(*(self._pipes or {}).values())

    # ---- one shot ---------------------------------------------------------------------------------------------

    def _shot(self, shot: VideoShot, seed: int, callback: Any) -> np.ndarray:
        """(gen_frames, gen_height, gen_width, 3) uint8 frames for one shot."""
        import torch

        inputs: dict[str, Any] = {"callback": callback, "callback_steps": 1}
        if shot.image is None:
            kind = "text"
            width, height = self.size
            inputs |= {"width": width, "height": height, "num_frames": int(self._options["gen_frames"])}
            inputs["num_inference_steps"] = int(self._options["steps"])
        else:
            kind, first = "image", self.first_frame(shot.image)
            inputs |= {"video": [first] * int(self._options["gen_frames"]), "strength": self._strength()}
            inputs["num_inference_steps"] = self._scheduled_steps()
        with torch.inference_mode():
            output = self._pipe(kind)(
                prompt=shot.prompt,
                guidance_scale=float(self._options["guidance_scale"]),
                generator=torch.Generator("cpu").manual_seed(seed),
                output_type="np",
                **inputs,
            )
        frames = to_uint8(output.frames[0])
        if shot.image is not None:
            frames[0] = np.asarray(first)
        return frames

    def first_frame(self, image: Image) -> Image:
        """The shot's image at the generation size, centre-cropped so another aspect is not stretched."""
        return ImageOps.fit(to_rgb(image), self.size, PILImage.Resampling.LANCZOS)

    def _steps_run(self, shot: VideoShot) -> int:
        """The denoising steps the pipeline will run for `shot` (diffusers' img2img rule: int(steps * strength))."""
        if shot.image is None:
            return int(self._options["steps"])
        scheduled = self._scheduled_steps()
        return max(1, min(int(scheduled * self._strength()), scheduled))

    def _scheduled_steps(self) -> int:
        # diffusers runs int(steps * strength) of an image shot's schedule; scaling it up keeps about `steps`.
        return math.ceil(int(self._options["steps"]) / self._strength())

    def _strength(self) -> float:
        return float(self._options["image_strength"])

    def _pipe(self, kind: str) -> Any:
        if self._pipes is None:
            raise RuntimeError("this video backend was closed; load it again.")
        return self._pipes[kind]


def _reporter(progress: ProgressFn, start: int, total: int) -> Any:
    """A diffusers step callback reporting the fraction of all shots' steps done, this shot starting at `start`."""

    def on_step(step: int, _timestep: Any, _latents: Any) -> None:
        progress(min(1.0, (start + step + 1) / total))

    return on_step


def plan_shots(task: TextToVideoTask) -> tuple[VideoShot, ...]:
    """The shots to generate: the task's own, or for MULTI_SHOT_AUTOMATED its one prompt split per 6 s."""
    if task.mode is not VideoMode.MULTI_SHOT_AUTOMATED:
        return task.shots
    count = max(1, task.duration_seconds // SHOT_SECONDS)
    return tuple(VideoShot(prompt) for prompt in split_into_shots(task.shots[0].prompt, count))


def to_uint8(frames: np.ndarray) -> np.ndarray:
    """diffusers' float frames in [0, 1] as uint8, rounded."""
    return np.clip(frames * 255.0 + 0.5, 0, 255).astype(np.uint8)
