"""The built-in `tiny` diffusion upscaler: Stable Diffusion x4 Upscaler's pipeline at toy size, built in code.

The same classes as `stabilityai/stable-diffusion-x4-upscaler` (a UNet taking the noisy latents and the low-
resolution image, 7 input channels, with the noise level as a class embedding; a VAE that halves twice, so the
output is 4x the input; DDIM with v-prediction; DDPM to noise the low-resolution image), three blocks deep and
32 channels wide. Every code path in `sd_upscale.py` runs for real; the images are noise.
"""

from __future__ import annotations

from typing import Any

from outcrop.backends import clip_tiny, diffusion_tiny

MAX_NOISE_LEVEL = 350


def _unet() -> Any:
    from diffusers import UNet2DConditionModel

    factory: Any = UNet2DConditionModel
    return factory(
        block_out_channels=(32, 32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=7,  # 4 latent channels + the 3 channels of the low-resolution image
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        use_linear_projection=True,
        num_class_embeds=MAX_NOISE_LEVEL + 1,  # the noise level added to the low-resolution image
        norm_num_groups=32,
    )


def _vae() -> Any:
    from diffusers import AutoencoderKL

    factory: Any = AutoencoderKL
    return factory(
        block_out_channels=(32, 32, 64),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 3,
        up_block_types=("UpDecoderBlock2D",) * 3,
        latent_channels=4,
        norm_num_groups=32,
        scaling_factor=0.08333,  # the x4 upscaler's latent scale
    )


def build() -> Any:
    """A StableDiffusionUpscalePipeline whose weights are drawn from seed 0 without touching the global RNG."""
    import torch
    from diffusers import DDIMScheduler, DDPMScheduler, StableDiffusionUpscalePipeline

    tokenizer = clip_tiny.build_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        unet, vae, encoder = _unet(), _vae(), diffusion_tiny.text_encoder(tokenizer)
    pipeline: Any = StableDiffusionUpscalePipeline
    scheduler: Any = DDIMScheduler
    low_res: Any = DDPMScheduler
    return pipeline(
        vae=vae.eval(),
        text_encoder=encoder.eval(),
        tokenizer=tokenizer,
        unet=unet.eval(),
        low_res_scheduler=low_res(),
        scheduler=scheduler(prediction_type="v_prediction"),
        max_noise_level=MAX_NOISE_LEVEL,
    )
