"""Seconds per shot: Outcrop's LTX-Video backend vs a bare diffusers LTXConditionPipeline call, tiny profile model.

    python bench/bench_ltx_video.py [--runs 3] [--threads N]

Both contenders run the same seeded tiny pipeline (`ltx_video_tiny.build()`) on a Luma Ray-shaped shot (5 s,
delivered at 960x540 and 24 fps) with the same generation size, frame count, steps, guidance, negative prompt and
seed, once from text and once with a start keyframe. Outcrop goes through `ltx_video.load` and a TextToVideoTask
(size and frame planning, keyframe fitting, progress callback, uint8 conversion, the keyframe pasted into frame 0);
diffusers through `LTXConditionPipeline.__call__` with the frames the backend planned. So the difference is
Outcrop's own overhead. Encoding is shared with Nova Reel and measured by `bench_video.py`.

Each number is the median of `--runs` after one warm-up each, alternating in this one process. The tiny model's
frames are noise and its transformer is toy-sized: the comparison holds, the absolute numbers do not transfer.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

PROMPT = "a paper boat drifting down a rainy street"
SEED = 11
Contender = Callable[[], np.ndarray]


def keyframe() -> Image.Image:
    y, x = np.mgrid[0:540, 0:960]
    return Image.fromarray(np.stack([x * 255 // 959, y * 255 // 539, (x + y) % 256], axis=-1).astype(np.uint8))


def outcrop_contender(backend: Any, image: Image.Image | None) -> Contender:
    from outcrop.backends.base import no_progress
    from outcrop.tasks.text_to_video import TextToVideoTask, VideoShot

    task = TextToVideoTask(shots=(VideoShot(PROMPT, image),), duration_seconds=5, width=960, height=540, seed=SEED)
    return lambda: backend.run(task, no_progress).shots[0]


def diffusers_contender(backend: Any, image: Image.Image | None) -> Contender:
    import torch
    from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

    from outcrop.backends import ltx_video, ltx_video_tiny

    pipe: Any = ltx_video_tiny.build()
    pipe.set_progress_bar_config(disable=True)
    options = ltx_video_tiny.OPTIONS
    size = ltx_video.generation_size(960, 540, options["gen_pixels"])
    frames = backend.frames_per_shot(5, 24)
    conditions = [LTXVideoCondition(image=Image.fromarray(backend.fit(image, size)))] if image is not None else None

    def generate() -> np.ndarray:
        with torch.inference_mode():
            video = pipe(conditions=conditions, prompt=PROMPT, negative_prompt="", width=size[0], height=size[1],
                         num_frames=frames, frame_rate=options["gen_fps"], num_inference_steps=options["steps"],
                         guidance_scale=options["guidance_scale"], max_sequence_length=options["max_sequence_length"],
                         generator=torch.Generator("cpu").manual_seed(SEED), output_type="np").frames[0]  # fmt: skip
        return (video * 255 + 0.5).clip(0, 255).astype(np.uint8)

    return generate


def race(contenders: list[Contender], runs: int) -> list[tuple[float, np.ndarray]]:
    """Median seconds and last frames of each contender, run alternately so load on the machine hits both."""
    for generate in contenders:
        generate()  # warm-up: first calls allocate and pick kernels
    times: list[list[float]] = [[] for _ in contenders]
    frames: list[np.ndarray] = [np.empty(0) for _ in contenders]
    for _ in range(runs):
        for index, generate in enumerate(contenders):
            start = time.perf_counter()
            frames[index] = generate()
            times[index].append(time.perf_counter() - start)
    return [(statistics.median(t), f) for t, f in zip(times, frames, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    import torch

    from outcrop.backends.base import LoadSpec
    from outcrop.backends.ltx_video import load

    if args.threads:
        torch.set_num_threads(args.threads)
    backend = load(LoadSpec(weights="tiny-ltx-video", weights_dir=None))
    print(f"tiny LTX-Video, one 5 s shot at 960x540, median of {args.runs}, {torch.get_num_threads()} threads")
    print(f"{'median seconds':<24}{'outcrop':>10}{'diffusers':>11}{'ratio':>8}  identical frames")
    for label, image in (("text to video", None), ("start keyframe", keyframe())):
        contenders = [outcrop_contender(backend, image), diffusers_contender(backend, image)]
        (ours, ours_frames), (theirs, their_frames) = race(contenders, args.runs)
        skip = 0 if image is None else 1  # Outcrop writes the keyframe itself into frame 0
        same = np.array_equal(ours_frames[skip:], their_frames[skip:])
        print(f"{label:<24}{ours:>10.3f}{theirs:>11.3f}{ours / theirs:>8.2f}  {same}")


if __name__ == "__main__":
    main()
