"""Seconds per generated second of video: Outcrop's video backend vs plain diffusers, on the tiny profile's model.

    python bench/bench_video.py [--runs 3] [--seconds 6] [--threads N]

Both contenders run the same seeded tiny TextToVideoSDPipeline (`video_tiny.build()`: same weights, scheduler,
generation size, frame count, steps, guidance scale and seed) for one shot, then the same encode: the shot's
frames resized to 1280x720 and retimed to 24 fps over `--seconds` by `retimed_frames`, written as H.264 by
`encode_mp4`. Outcrop goes through `video.load` and a TextToVideoTask (shot planning, per-shot seeding, progress
callback, uint8 conversion); diffusers through a bare `TextToVideoSDPipeline.__call__`. So the difference is
Outcrop's own overhead; the encode, which both share, is reported on its own line.

Both run in this one process, alternating, after one warm-up each; each number is the median of `--runs`. The
tiny model's frames are noise and its UNet is toy-sized, so generation here is far cheaper than with real weights
(zeroscope's 1.4B-parameter UNet3D needs minutes per shot on a CPU) and the encode is a larger share than it would
be; the comparison of the two contenders holds, the absolute numbers do not transfer.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

PROMPT = "a red fox trotting through fresh snow at dawn"
SEED = 11
FPS, SIZE = 24, (1280, 720)


def outcrop_contender(seconds: int) -> Callable[[], np.ndarray]:
    from outcrop.backends.base import LoadSpec, no_progress
    from outcrop.backends.video import load
    from outcrop.tasks.text_to_video import TextToVideoTask, VideoShot

    backend = load(LoadSpec(weights="tiny-video", weights_dir=None))
    task = TextToVideoTask(shots=(VideoShot(PROMPT),), duration_seconds=seconds, seed=SEED)

    def generate() -> np.ndarray:
        shot: np.ndarray = backend.run(task, no_progress).shots[0]
        return shot

    return generate


def diffusers_contender() -> Callable[[], np.ndarray]:
    import torch

    from outcrop.backends import video_tiny

    pipe: Any = video_tiny.build()
    pipe.set_progress_bar_config(disable=True)
    options = video_tiny.OPTIONS

    def generate() -> np.ndarray:
        with torch.inference_mode():
            frames = pipe(
                PROMPT,
                width=options["gen_width"],
                height=options["gen_height"],
                num_frames=options["gen_frames"],
                num_inference_steps=options["steps"],
                guidance_scale=options["guidance_scale"],
                generator=torch.Generator("cpu").manual_seed(SEED),
                output_type="np",
            ).frames[0]
        return (frames * 255 + 0.5).clip(0, 255).astype(np.uint8)

    return generate


def encode(frames: np.ndarray, seconds: int, folder: Path) -> None:
    from outcrop.backends import video_tiny
    from outcrop.tasks.video_codec import encode_mp4, retimed_frames

    src_fps = float(video_tiny.OPTIONS["gen_fps"])
    written = encode_mp4(retimed_frames(frames, src_fps, FPS, seconds, SIZE), FPS, folder / "bench.mp4")
    assert written == FPS * seconds


def timed(generate: Callable[[], np.ndarray], seconds: int, folder: Path) -> tuple[float, float, np.ndarray]:
    start = time.perf_counter()
    frames = generate()
    middle = time.perf_counter()
    encode(frames, seconds, folder)
    return middle - start, time.perf_counter() - middle, frames


def measure(
    contenders: dict[str, Callable[[], np.ndarray]], runs: int, seconds: int, folder: Path
) -> dict[str, dict[str, list[float]]]:
    results = {name: {"generate": [], "encode": []} for name in contenders}
    last: dict[str, np.ndarray] = {}
    for generate in contenders.values():
        timed(generate, seconds, folder)  # warm-up: first calls allocate and pick kernels
    for _ in range(runs):
        for name, generate in contenders.items():
            gen, enc, last[name] = timed(generate, seconds, folder)
            results[name]["generate"].append(gen)
            results[name]["encode"].append(enc)
    same = np.array_equal(last["outcrop"], last["diffusers"])
    print(f"identical frames from both contenders: {same}")
    return results


def report(results: dict[str, dict[str, list[float]]], seconds: int) -> None:
    print(f"{'median seconds':<28}{'outcrop':>10}{'diffusers':>11}{'ratio':>8}")
    rows = {
        "generate (one shot)": lambda r: statistics.median(r["generate"]),
        "encode 1280x720 @ 24 fps": lambda r: statistics.median(r["encode"]),
        "total": lambda r: statistics.median(g + e for g, e in zip(r["generate"], r["encode"], strict=True)),
    }
    for label, pick in rows.items():
        ours, theirs = pick(results["outcrop"]), pick(results["diffusers"])
        print(f"{label:<28}{ours:>10.3f}{theirs:>11.3f}{ours / theirs:>8.2f}")
    ours = rows["total"](results["outcrop"]) / seconds
    theirs = rows["total"](results["diffusers"]) / seconds
    print(f"{'per second of video':<28}{ours:>10.3f}{theirs:>11.3f}{ours / theirs:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"tiny profile model, one {args.seconds} s shot, median of {args.runs}, {torch.get_num_threads()} threads")
    contenders = {"outcrop": outcrop_contender(args.seconds), "diffusers": diffusers_contender()}
    with tempfile.TemporaryDirectory() as folder:
        results = measure(contenders, args.runs, args.seconds, Path(folder))
    report(results, args.seconds)


if __name__ == "__main__":
    main()
