"""Seconds per 1024x1024 background removal: Outcrop's ISNet backend vs rembg, on the same ONNX file.

    python bench/bench_remove_background.py [--weights small|medium] [--runs 5] [--threads N]

rembg is the reference (`pip install rembg`); it loads the file through its `dis_custom` session, which takes a
`model_path` inside its home directory and never downloads. Both run on ONNX Runtime's CPU provider with the same
intra-op thread count, on the astronaut photo from scikit-image resized to 1024x1024. The weights are fetched
from npm into `$OUTCROP_TEST_MODELS/isnet-general-<variant>` (default `.cache/models`) when absent.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image

from outcrop.backends.base import LoadSpec, no_progress
from outcrop.backends.isnet import load
from outcrop.catalog.sources import npm_imgly
from outcrop.tasks import RemoveBackgroundTask

REPO = Path(__file__).resolve().parents[1]
Runner = Callable[[], Image.Image]
NPM = {"package": "@imgly/background-removal-data", "version": "1.4.5"}


def weights_dir(variant: str) -> Path:
    root = Path(os.environ.get("OUTCROP_TEST_MODELS", REPO / ".cache" / "models"))
    target = root / f"isnet-general-{variant}"
    if not (target / "model.onnx").is_file():
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".isnet-{variant}-", dir=root))
        npm_imgly.fetch({**NPM, "model": f"/models/{variant}"}, staging, print)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target


def time_interleaved(runners: dict[str, Runner], runs: int) -> dict[str, list[float]]:
    """Alternate the contenders run by run, so load from other work on the machine hits both alike."""
    for runner in runners.values():
        runner()  # warm-up: ONNX Runtime sizes its memory arenas on the first run
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(runs):
        for name, runner in runners.items():
            start = time.perf_counter()
            runner()
            times[name].append(time.perf_counter() - start)
    return times


def outcrop_runner(model_dir: Path, threads: int, image: Image.Image) -> Runner:
    backend = load(LoadSpec(weights=model_dir.name, weights_dir=model_dir, threads=threads))
    task = RemoveBackgroundTask(image=image)
    return lambda: backend.run(task, no_progress).images[0]


def rembg_runner(model_dir: Path, threads: int, image: Image.Image) -> Runner:
    # rembg only opens custom models under its home; pointing U2NET_HOME at the weights keeps it offline.
    os.environ["U2NET_HOME"] = str(model_dir)
    import onnxruntime as ort
    from rembg import new_session, remove

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = new_session(
        "dis_custom",
        model_path=str(model_dir / "model.onnx"),
        sess_opts=options,
        providers=["CPUExecutionProvider"],
    )
    return lambda: remove(image, session=session)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", choices=["small", "medium"], default="medium")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    model_dir = weights_dir(args.weights)
    image = Image.fromarray(skimage.data.astronaut()).resize((1024, 1024), Image.Resampling.BICUBIC)
    runners = {
        "outcrop": outcrop_runner(model_dir, args.threads, image),
        "rembg": rembg_runner(model_dir, args.threads, image),
    }
    times = time_interleaved(runners, args.runs)
    # rembg min-max stretches the mask and resizes with Lanczos; the alphas should still agree closely.
    alphas = [np.asarray(runner().getchannel("A"), np.float32) for runner in runners.values()]
    diff = np.abs(alphas[0] - alphas[1])
    print(f"ISNet {args.weights} ({model_dir / 'model.onnx'}), 1024x1024 astronaut, {args.threads} threads,")
    print(f"{args.runs} runs each after 1 warm-up, interleaved; seconds per image")
    print(f"{'':>10} {'median':>8} {'mean':>8} {'min':>8}")
    for name, seconds in times.items():
        print(f"{name:>10} {statistics.median(seconds):8.3f} {statistics.mean(seconds):8.3f} {min(seconds):8.3f}")
    ratio = statistics.median(times["rembg"]) / statistics.median(times["outcrop"])
    print(f"rembg / outcrop (medians) = {ratio:.2f}x   alpha mean |diff| = {diff.mean():.2f}/255")


if __name__ == "__main__":
    main()
