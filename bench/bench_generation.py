"""Seconds per image and peak memory: Outcrop's diffusion backend vs plain diffusers, on the same weights.

    python bench/bench_generation.py [--size 256] [--steps 4] [--runs 3] [--device cpu|cuda] [--weights DIR]
                                     [--model mid|sd15]

Both contenders load the same diffusers folder and generate the same size with the same number of denoising steps,
the same guidance scale and the same seed: Outcrop through `diffusion.load` and `TextToImageTask` (prompt
handling, working-size rounding, progress callback, resize back to the request), diffusers through a bare
`StableDiffusionPipeline.__call__`. Each contender runs in a fresh Python process, so one's memory cannot hide in
the other's peak: on the CPU the peak is the growth of `ru_maxrss` (resident set, which unlike tracemalloc counts
torch's allocations) from just before loading the weights to after the last image; on CUDA it is
`torch.cuda.max_memory_allocated`. One warm-up image is generated before timing.

Weights: without `--weights`, a randomly initialised pipeline of mid size (UNet block_out_channels (64, 128, 256),
a 4-layer 256-wide CLIP text encoder, a 3-stage VAE) is saved with `save_pretrained` to a temporary folder. Its
images are noise; speed does not depend on the weights' values, only on their shapes, so the comparison holds,
but the absolute numbers are far below a real SD 1.5 (860M-parameter UNet). Pass `--weights` a real diffusers
folder (e.g. stable-diffusion-v1-5) to time that instead. `--model sd15` builds Stable Diffusion 1.5 at its real
size from its published configuration, with random weights: the 860M-parameter UNet (320/640/1280/1280 channels,
cross-attention 768), CLIP ViT-L/14's text encoder (12 layers, 768 wide, 49,408-token vocabulary) and the
84M-parameter VAE; only the tokenizer is the tiny one (a small BPE: token ids stay within the real vocabulary).

GPU settings, none measured here (the numbers depend on the card; measure before choosing):
- half precision: the catalog option `dtype = "float16"` (or `"bfloat16"` on Ampere and later) loads the weights
  in that dtype; it halves weight memory and usually speeds up attention and convolutions on tensor cores.
- attention slicing (`pipe.enable_attention_slicing()`) and VAE slicing/tiling (`pipe.vae.enable_slicing()`,
  `enable_tiling()`) trade speed for lower peak memory at large sizes or batches; PyTorch 2's SDPA attention,
  which diffusers uses by default, already avoids most of the attention memory.
- `torch.compile(pipe.unet, mode="reduce-overhead")` removes Python overhead per step after a slow first call;
  worth it only for a long-lived server with fixed sizes (each new size recompiles).
- offload (`enable_model_cpu_offload()` / `enable_sequential_cpu_offload()`) fits small GPUs at a large cost in
  speed. Outcrop does not turn any of these on by itself.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROMPT = "a lighthouse on a rocky coast at dusk"
SEED = 11
CFG_SCALE = 6.5  # GenerationConfig's default, given to diffusers too


def build_random_weights(target: Path, model: str = "mid") -> None:
    """A random Stable Diffusion pipeline (mid-size, or SD 1.5's real size), saved in diffusers' layout."""
    if model == "sd15":
        build_sd15(target)
        return
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel

    from outcrop.backends import clip_tiny, diffusion_tiny

    tokenizer = clip_tiny.build_tokenizer()
    unet_factory: Any = UNet2DConditionModel
    vae_factory: Any = AutoencoderKL
    torch.manual_seed(0)
    unet = unet_factory(
        block_out_channels=(64, 128, 256),
        layers_per_block=2,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=256,
        attention_head_dim=8,
    )
    vae = vae_factory(
        block_out_channels=(64, 128, 128, 128),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
    )
    encoder = diffusion_tiny.text_encoder(tokenizer, hidden_size=256, intermediate_size=1024, layers=4)
    pipeline = diffusion_tiny.assemble(unet=unet, vae=vae, text_encoder=encoder, tokenizer=tokenizer)
    pipeline.save_pretrained(target)


def build_sd15(target: Path) -> None:
    """Stable Diffusion 1.5's published architecture with random weights (speed does not depend on the values)."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from outcrop.backends import clip_tiny, diffusion_tiny

    tokenizer = clip_tiny.build_tokenizer()
    torch.manual_seed(0)
    unet_factory: Any = UNet2DConditionModel  # diffusers' defaults are SD 1.x's UNet but for the text width
    unet = unet_factory(sample_size=64, cross_attention_dim=768, attention_head_dim=8)
    vae_factory: Any = AutoencoderKL
    vae = vae_factory(
        block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4, layers_per_block=2, sample_size=512,
    )  # fmt: skip
    config: Any = CLIPTextConfig
    encoder = CLIPTextModel(config(
        hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, vocab_size=49408,
        max_position_embeddings=77, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, hidden_act="quick_gelu",
    ))  # fmt: skip
    pipeline = diffusion_tiny.assemble(unet=unet, vae=vae, text_encoder=encoder, tokenizer=tokenizer)
    pipeline.save_pretrained(target)


def worker(contender: str, weights: str, *, size: int, steps: int, runs: int, device: str) -> dict[str, Any]:
    """Load and time one contender in this (fresh) process; returns seconds per image and peak memory."""
    import torch

    cuda = device.startswith("cuda")
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if contender == "outcrop":
        from outcrop.backends.base import LoadSpec, no_progress
        from outcrop.backends.diffusion import load
        from outcrop.tasks import TextToImageTask
        from outcrop.tasks.generation import GenerationConfig

        options = {"steps_standard": steps, "max_pixels": size * size}
        backend = load(LoadSpec(weights="bench", weights_dir=Path(weights), options=options, device=device))
        task = TextToImageTask(
            prompt=PROMPT, config=GenerationConfig(width=size, height=size, seed=SEED, cfg_scale=CFG_SCALE)
        )

        def generate() -> None:
            backend.run(task, no_progress)

    else:
        from diffusers import StableDiffusionPipeline

        factory: Any = StableDiffusionPipeline
        pipe = factory.from_pretrained(weights, safety_checker=None, requires_safety_checker=False).to(device)
        pipe.set_progress_bar_config(disable=True)

        def generate() -> None:
            with torch.inference_mode():
                pipe(
                    prompt=PROMPT,
                    height=size,
                    width=size,
                    num_inference_steps=steps,
                    guidance_scale=CFG_SCALE,
                    generator=torch.Generator("cpu").manual_seed(SEED),
                )

    generate()  # warm-up
    if cuda:
        torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        generate()
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    peak_rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024  # Linux: KiB
    result = {"seconds": statistics.median(times), "peak_rss_mb": peak_rss_mb}
    if cuda:
        result["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--weights", help="a diffusers pipeline folder; default: random weights (--model)")
    parser.add_argument("--model", choices=("mid", "sd15"), default="mid", help="random weights to build")
    parser.add_argument("--worker", choices=("outcrop", "diffusers"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(
            json.dumps(
                worker(args.worker, args.weights, size=args.size, steps=args.steps, runs=args.runs, device=args.device)
            )
        )
        return
    with tempfile.TemporaryDirectory() as scratch:
        weights = args.weights
        if weights is None:
            weights = str(Path(scratch) / "random-sd")
            build_random_weights(Path(weights), args.model)
            shape = "SD 1.5 at real size" if args.model == "sd15" else "mid-size pipeline (UNet 64/128/256)"
            print(f"weights: RANDOM {shape}; speed does not depend on weight values")
        else:
            print(f"weights: {weights}")
        print(f"{args.size}x{args.size}, {args.steps} steps, cfg {CFG_SCALE}, median of {args.runs}, {args.device}")
        results = {}
        for contender in ("outcrop", "diffusers"):
            command = [sys.executable, __file__, "--worker", contender, "--weights", weights]
            command += ["--size", str(args.size), "--steps", str(args.steps), "--runs", str(args.runs)]
            command += ["--device", args.device]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            results[contender] = json.loads(done.stdout.strip().splitlines()[-1])
    keys = ["seconds", "peak_rss_mb"] + (["peak_cuda_mb"] if "peak_cuda_mb" in results["outcrop"] else [])
    print(f"{'metric':<14}{'outcrop':>12}{'diffusers':>12}{'ratio':>8}")
    for key in keys:
        ours, theirs = results["outcrop"][key], results["diffusers"][key]
        ratio = ours / theirs if theirs else float("nan")
        print(f"{key:<14}{ours:>12.3f}{theirs:>12.3f}{ratio:>8.2f}")


if __name__ == "__main__":
    main()
