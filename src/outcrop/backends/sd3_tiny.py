"""The built-in `tiny` Stable Diffusion 3 model: a real SD3 pipeline at toy size, built in code.

No SD3 weights reach the machines Outcrop is tested on, so tests and users' CI build this one instead, the way
diffusers' own SD3 tests do: the same SD3Transformer2DModel (MMDiT), AutoencoderKL, two CLIP text encoders with
projection, a T5 encoder and the flow-matching scheduler as real weights, one layer deep and 32 channels wide.
Every code path in `sd3.py` runs for real; the images are noise, but the same noise in every process.

The three text encoders share the tiny byte-level BPE tokenizer of `clip_tiny` (real SD3 pairs T5 with a
SentencePiece tokenizer; the tokenizer only has to turn any text into ids the tiny T5 knows).
"""

from __future__ import annotations

from typing import Any

from outcrop.backends import clip_tiny

_WIDTH = 32  # hidden size of every tiny text encoder; two CLIP projections concatenate to the pooled width
_T5_WIDTH = 2 * _WIDTH  # SD3 pads the concatenated CLIP states to T5's width, so T5 is at least that wide


def _transformer() -> Any:
    from diffusers import SD3Transformer2DModel

    factory: Any = SD3Transformer2DModel
    return factory(
        sample_size=32,
        patch_size=2,
        in_channels=4,
        num_layers=1,
        attention_head_dim=8,
        num_attention_heads=4,
        caption_projection_dim=32,
        joint_attention_dim=_T5_WIDTH,
        pooled_projection_dim=2 * _WIDTH,
        out_channels=4,
    )


def _vae() -> Any:
    from diffusers import AutoencoderKL

    # Two blocks: the latent grid is half the image's side, as SD3's is an eighth of it.
    factory: Any = AutoencoderKL
    return factory(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(8, 16),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        use_quant_conv=False,
        use_post_quant_conv=False,
        shift_factor=0.0609,
        scaling_factor=1.5035,
    )


def _clip(tokenizer: Any) -> Any:
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection

    config: Any = CLIPTextConfig  # transformers' constructors are unannotated
    factory: Any = CLIPTextModelWithProjection
    return factory(
        config(
            hidden_size=_WIDTH,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            projection_dim=_WIDTH,
            vocab_size=len(tokenizer),
            max_position_embeddings=clip_tiny.MAX_POSITIONS,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )


def _t5(tokenizer: Any) -> Any:
    from transformers import T5Config, T5EncoderModel

    config: Any = T5Config
    factory: Any = T5EncoderModel
    return factory(
        config(
            vocab_size=len(tokenizer),
            d_model=_T5_WIDTH,
            d_ff=64,
            d_kv=16,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    )


def build() -> Any:
    """A StableDiffusion3Pipeline whose weights are drawn from seed 0 without touching the global RNG."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, StableDiffusion3Pipeline

    tokenizer = clip_tiny.build_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        transformer, vae = _transformer(), _vae()
        clip_l, clip_g, t5 = _clip(tokenizer), _clip(tokenizer), _t5(tokenizer)
    pipeline: Any = StableDiffusion3Pipeline
    scheduler: Any = FlowMatchEulerDiscreteScheduler
    return pipeline(
        transformer=transformer.eval(),
        scheduler=scheduler(shift=3.0),  # SD3's timestep shift
        vae=vae.eval(),
        text_encoder=clip_l.eval(),
        tokenizer=tokenizer,
        text_encoder_2=clip_g.eval(),
        tokenizer_2=tokenizer,
        text_encoder_3=t5.eval(),
        tokenizer_3=tokenizer,
    )
