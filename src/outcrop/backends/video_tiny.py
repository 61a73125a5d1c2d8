"""The built-in `tiny` text-to-video model: a real TextToVideoSDPipeline at toy size, built in code.

No video weights reach the machines Outcrop is tested on, so tests and CI build this one, as diffusers' own tests
do: a UNet3DConditionModel two blocks deep and 16 channels wide, with the VAE, CLIP text encoder, tokenizer and
DDIM scheduler of the tiny image model (`diffusion_tiny`), so one set of tiny text and pixel components serves
both. Every code path in `video.py` runs for real; the frames are noise, but the same noise in every process.
"""

from __future__ import annotations

from typing import Any

from outcrop.backends import diffusion_tiny

# 16:9 in multiples of 8 (diffusers' check); the tiny VAE halves it to 64x36 latents and the UNet to 32x18.
OPTIONS: dict[str, Any] = {
    "gen_width": 128,
    "gen_height": 72,
    "gen_frames": 8,
    "gen_fps": 8,
    "steps": 2,
    "guidance_scale": 7.5,
    "image_strength": 0.6,
}


def _unet() -> Any:
    from diffusers import UNet3DConditionModel

    factory: Any = UNet3DConditionModel
    return factory(
        # Half the tiny image UNet's width: at 8 frames of 64x36 latents the UNet3D is most of a tiny job's time.
        block_out_channels=(16, 32),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        # Attention only at the lower resolution (as `diffusion_tiny`): at 64x36 latents it would double the time.
        down_block_types=("DownBlock3D", "CrossAttnDownBlock3D"),
        up_block_types=("CrossAttnUpBlock3D", "UpBlock3D"),
        cross_attention_dim=32,  # the tiny CLIP text encoder's hidden size
        attention_head_dim=4,  # UNet3D reads this as the number of heads; fewer, wider heads run faster on a CPU
        norm_num_groups=16,
    )


def build() -> Any:
    """A TextToVideoSDPipeline whose new weights are drawn from seed 0 without touching the global RNG."""
    import torch

    image = diffusion_tiny.build()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        unet = _unet()
    return assemble(
        unet=unet, vae=image.vae, text_encoder=image.text_encoder, tokenizer=image.tokenizer, scheduler=image.scheduler
    )


def assemble(*, unet: Any, vae: Any, text_encoder: Any, tokenizer: Any, scheduler: Any) -> Any:
    """A TextToVideoSDPipeline from components (the scheduler is the tiny image model's deterministic DDIM)."""
    from diffusers import TextToVideoSDPipeline

    pipeline: Any = TextToVideoSDPipeline
    return pipeline(
        vae=vae.eval(), text_encoder=text_encoder.eval(), tokenizer=tokenizer, unet=unet.eval(), scheduler=scheduler
    )
