"""The built-in `tiny` text-to-image model: a real Stable Diffusion pipeline at toy size, built in code.

No text-to-image weights reach the machines Outcrop is tested on, so tests and users' CI build this one instead,
the way diffusers' own tests do: the same UNet2DConditionModel, AutoencoderKL, CLIPTextModel and scheduler
classes as real weights, two blocks deep and 32 channels wide. Every code path in `diffusion.py` runs for real;
the images are noise, but the same noise in every process.
"""

from __future__ import annotations

from typing import Any

from outcrop.backends import clip_tiny


def _unet() -> Any:
    from diffusers import UNet2DConditionModel

    factory: Any = UNet2DConditionModel
    return factory(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=32,
    )


def _vae() -> Any:
    from diffusers import AutoencoderKL

    factory: Any = AutoencoderKL
    return factory(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=32,
    )


def text_encoder(tokenizer: Any, *, hidden_size: int = 32, intermediate_size: int = 37, layers: int = 2) -> Any:
    """A CLIP text encoder over `tokenizer`; `hidden_size` must equal the UNet's cross_attention_dim."""
    from transformers import CLIPTextConfig, CLIPTextModel

    config: Any = CLIPTextConfig  # transformers' constructors are unannotated
    return CLIPTextModel(
        config(
            hidden_size=hidden_size,
            intermediate_size=intermediate_size,
            num_hidden_layers=layers,
            num_attention_heads=4,
            vocab_size=len(tokenizer),
            max_position_embeddings=clip_tiny.MAX_POSITIONS,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )


def _scheduler() -> Any:
    from diffusers import DDIMScheduler

    # Stable Diffusion 1.x's noise schedule; DDIM with eta 0 adds no noise per step, so outputs depend only on
    # the generator that draws the starting latents.
    factory: Any = DDIMScheduler
    return factory(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )


def build() -> Any:
    """A StableDiffusionPipeline whose weights are drawn from seed 0 without touching the global RNG."""
    import torch

    tokenizer = clip_tiny.build_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        unet, vae, encoder = _unet(), _vae(), text_encoder(tokenizer)
    return assemble(unet=unet, vae=vae, text_encoder=encoder, tokenizer=tokenizer)


def assemble(*, unet: Any, vae: Any, text_encoder: Any, tokenizer: Any) -> Any:
    """A StableDiffusionPipeline from components, with SD 1.x's schedule and no safety checker."""
    from diffusers import StableDiffusionPipeline

    pipeline: Any = StableDiffusionPipeline
    return pipeline(
        vae=vae.eval(),
        text_encoder=text_encoder.eval(),
        tokenizer=tokenizer,
        unet=unet.eval(),
        scheduler=_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
