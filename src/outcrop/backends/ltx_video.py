"""Text-to-video and true image-to-video with LTX-Video, through diffusers' LTXConditionPipeline.

One pipeline serves every kind of shot: text only; a first frame (Nova Reel's shot image, Luma Ray's keyframe
frame0), encoded by the video VAE into the first latent frame so the model generates the motion that follows it;
a last frame (Ray's frame1), given to the transformer as conditioning tokens at the shot's last frame; or both,
which makes the model interpolate between them. A loop ends on the video's own first frame: with no start
keyframe, that frame is generated from the prompt first (one frame, cheap), then the video runs between it and
itself, and the repeated last frame is dropped so playback on repeat shows it once. Keyframe pixels are also
written into the frames they anchor, so the video starts (and ends) exactly on the caller's picture.

Where the weights come from, by LoadSpec:
- `weights_dir`: a diffusers LTX-Video folder (model_index.json, transformer/, vae/, text_encoder/, tokenizer/,
  scheduler/), e.g. Lightricks/LTX-Video-0.9.5 (0.9.5 and later condition on frames anywhere in the video).
- no `weights_dir` but `options["hub_id"]`: the same from the Hugging Face Hub, for users with internet access.
- weights `tiny-ltx-video` (builtin): the seeded tiny pipeline built in code (`ltx_video_tiny`).

Options (catalog): `gen_pixels` (about how many pixels a generated frame has; the frame takes the task's aspect
ratio in multiples of 32), `gen_fps` (frames generated per second of video), `max_frames` (the most frames one
shot generates; longer shots play slower), `steps`, `guidance_scale`, `negative_prompt`, `max_sequence_length`
(T5 tokens of prompt), `decode_timestep`, `decode_noise_scale`, `image_cond_noise_scale`, `vae_tiling`,
`dtype`. The codec in `tasks/video_codec.py` resizes and retimes the frames to the task's size and fps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL import ImageOps
from PIL.Image import Image

from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.backends.denoise import dtype_kwarg, pipeline_source
from outcrop.backends.placement import pipeline_bytes, place, torch_dtype
from outcrop.backends.video import plan_shots, to_uint8
from outcrop.errors import ValidationError
from outcrop.tasks import Task, TaskKind
from outcrop.tasks.imaging import to_rgb
from outcrop.tasks.text_to_video import TextToVideoTask, VideoResult

TINY_WEIGHTS = "tiny-ltx-video"
MULTIPLE = 32  # LTX-Video's frame sides are multiples of 32 (its VAE compresses 32x in space)
# LTX-Video 0.9.5 at about 768x512 and 24 fps, 40 steps at guidance 3: the settings its model card recommends.
_REAL_DEFAULTS: dict[str, Any] = {
    "gen_pixels": 768 * 512,
    "gen_fps": 24,
    "max_frames": 257,
    "steps": 40,
    "guidance_scale": 3.0,
    "negative_prompt": "worst quality, inconsistent motion, blurry, jittery, distorted",
    "max_sequence_length": 256,
}
_PASSED_THROUGH = ("decode_timestep", "decode_noise_scale", "image_cond_noise_scale")


def load(spec: LoadSpec) -> LtxVideoBackend:
    """Load the pipeline that `spec` names (see the module docstring)."""
    import torch

    if spec.threads:
        torch.set_num_threads(spec.threads)
    pipeline, defaults = _load_pipeline(spec)
    options = {**defaults, **dict(spec.options)}
    if options.get("vae_tiling"):
        pipeline.vae.enable_tiling()  # decodes long, large videos in tiles: less memory, slightly different pixels
    return LtxVideoBackend(place(pipeline, spec), options)


def _load_pipeline(spec: LoadSpec) -> tuple[Any, dict[str, Any]]:
    source = pipeline_source(spec)  # the catalog checked the folder's files before this load
    if source is not None:
        return _from_pretrained(source, spec), _REAL_DEFAULTS
    if spec.weights == TINY_WEIGHTS:
        from outcrop.backends import ltx_video_tiny

        return ltx_video_tiny.build(), ltx_video_tiny.OPTIONS
    raise FileNotFoundError(
        f"Video weights '{spec.weights}' have no folder and no hub_id option; "
        f"install them with: outcrop models pull {spec.weights}"
    )


def _from_pretrained(source: str, spec: LoadSpec) -> Any:
    from diffusers import LTXConditionPipeline

    factory: Any = LTXConditionPipeline
    return factory.from_pretrained(source, **dtype_kwarg(torch_dtype(spec)))


def generation_size(width: int, height: int, pixels: int) -> tuple[int, int]:
    """(width, height) in multiples of 32 with about `pixels` pixels and the aspect ratio of width x height (the
    shorter side is rounded first, so a portrait size is the landscape one turned)."""
    ratio = max(width, height) / min(width, height)
    short = max(MULTIPLE, MULTIPLE * round(math.sqrt(pixels / ratio) / MULTIPLE))
    long = max(MULTIPLE, MULTIPLE * round(short * ratio / MULTIPLE))
    return (long, short) if width >= height else (short, long)


def frame_count(seconds: float, fps: int, gen_fps: int, temporal: int, max_frames: int) -> int:
    """Frames to generate for a shot of `seconds` delivered at `fps`.

    The VAE needs k * temporal + 1 frames. They span at most the time from the shot's first delivered frame to its
    last at `gen_fps`, so the last generated frame (where an end keyframe is) is the last one delivered; the codec
    stretches the shot by less than temporal / gen_fps seconds to fill it. At most `max_frames`: a longer shot plays
    slower rather than failing.
    """
    span = (round(fps * seconds) - 1) / fps
    steps = max(1, math.floor(span * gen_fps / temporal + 1e-9))
    return min(steps, max(1, (max_frames - 1) // temporal)) * temporal + 1


class LtxVideoBackend:
    """One LTX-Video model; shots run one after another, each with its own seed (task seed + shot index)."""

    kinds = frozenset({TaskKind.TEXT_TO_VIDEO})

    def __init__(self, pipeline: Any, options: dict[str, Any]) -> None:
        pipeline.set_progress_bar_config(disable=True)
        self._pipe: Any | None = pipeline
        self._options = options

    def run(self, task: Task, progress: ProgressFn) -> VideoResult:
        if not isinstance(task, TextToVideoTask):
            raise TypeError(f"the LTX-Video backend does not run {task.kind} tasks.")
        shots = plan_shots(task)
        if task.loop and shots[-1].end_image is not None:
            raise ValidationError("a looping video ends on its own first frame; send loop or an end frame, not both.")
        size = generation_size(task.width, task.height, int(self._options["gen_pixels"]))
        frames = self.frames_per_shot(task.shot_seconds(len(shots)), task.fps)
        steps = int(self._options["steps"])
        still = task.loop and len(shots) == 1 and shots[0].image is None  # a loop needs its start frame first
        meter = _StepMeter(progress, steps * (len(shots) + int(still)))
        results: list[np.ndarray] = []
        for index, shot in enumerate(shots):
            call = _Call(shot.prompt, task.seed + index, size, frames)
            start = self.fit(shot.image, size) if shot.image is not None else None
            if still and start is None:
                start = self._generate(replace(call, frames=1), [], meter)[0]
            end = self.fit(shot.end_image, size) if shot.end_image is not None else None
            if task.loop and index == len(shots) - 1:
                end = start if index == 0 else results[0][0]
            results.append(self._shot(call, start, end, meter))
        if task.loop:
            results[-1] = results[-1][:-1]  # the last frame is the first again: on repeat it shows once
        progress(1.0)
        return VideoResult(shots=tuple(results), fps=int(self._options["gen_fps"]))

    def close(self) -> None:
        # torch frees the weights when the last reference to the pipeline goes.
        self._pipe = None

    def memory_bytes(self) -> int:
        return pipeline_bytes(self._pipe)

    def frames_per_shot(self, seconds: float, fps: int) -> int:
        temporal = int(self._pipeline().vae_temporal_compression_ratio)
        gen_fps, most = int(self._options["gen_fps"]), int(self._options["max_frames"])
        return frame_count(seconds, fps, gen_fps, temporal, most)

    @staticmethod
    def fit(image: Image, size: tuple[int, int]) -> np.ndarray:
        """A keyframe at the generation size, centre-cropped so another aspect ratio is not stretched."""
        return np.asarray(ImageOps.fit(to_rgb(image), size, PILImage.Resampling.LANCZOS))

    # ---- one shot ---------------------------------------------------------------------------------------------

    def _shot(self, call: _Call, start: np.ndarray | None, end: np.ndarray | None, meter: _StepMeter) -> np.ndarray:
        """(frames, height, width, 3) uint8: the model conditioned on the keyframes, which then replace the
        frames they anchor (the VAE's reconstruction of a picture is close to it, not equal)."""
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        conditions = [LTXVideoCondition(image=PILImage.fromarray(start), frame_index=0)] if start is not None else []
        if end is not None:
            conditions.append(LTXVideoCondition(image=PILImage.fromarray(end), frame_index=call.frames - 1))
        video = self._generate(call, conditions, meter)
        if start is not None:
            video[0] = start
        if end is not None:
            video[-1] = end
        return video

    def _generate(self, call: _Call, conditions: list[Any], meter: _StepMeter) -> np.ndarray:
        import torch

        width, height = call.size
        extra = {key: self._options[key] for key in _PASSED_THROUGH if key in self._options}
        with torch.inference_mode():
            output = self._pipeline()(
                conditions=conditions or None,
                prompt=call.prompt,
                negative_prompt=str(self._options.get("negative_prompt", "")),
                width=width,
                height=height,
                num_frames=call.frames,
                frame_rate=int(self._options["gen_fps"]),
                num_inference_steps=int(self._options["steps"]),
                guidance_scale=float(self._options["guidance_scale"]),
                max_sequence_length=int(self._options["max_sequence_length"]),
                generator=torch.Generator("cpu").manual_seed(call.seed),
                output_type="np",
                callback_on_step_end=meter.on_step,
                **extra,
            )
        return to_uint8(output.frames[0])

    def _pipeline(self) -> Any:
        if self._pipe is None:
            raise RuntimeError("this LTX-Video backend was closed; load it again.")
        return self._pipe


@dataclass(frozen=True)
class _Call:
    """One run of the pipeline: a prompt and seed at a generation size and frame count."""

    prompt: str
    seed: int
    size: tuple[int, int]
    frames: int


class _StepMeter:
    """A diffusers step callback reporting the fraction of all of a task's denoising steps done (each report is
    also where a cancelled task stops)."""

    def __init__(self, progress: ProgressFn, total: int) -> None:
        self.progress = progress
        self.total = max(1, total)
        self.done = 0

    def on_step(self, _pipe: Any, _step: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        self.done += 1
        self.progress(min(1.0, self.done / self.total))
        return tensors
