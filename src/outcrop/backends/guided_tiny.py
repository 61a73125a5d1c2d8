"""Tiny seeded parts for `guided.py`: an IP-Adapter (image encoder, image projection and the extra attention
weights) matching the tiny Stable Diffusion UNet, built in code the way diffusers' IP-Adapter tests build theirs.

The image encoder is a transformers CLIPVisionModelWithProjection two layers deep; the adapter's state dict has
the layout of `h94/IP-Adapter`'s `ip-adapter_sd15` files (`image_proj`: a linear map from the image embedding to
four text-token-sized vectors plus a layer norm; `ip_adapter`: `to_k_ip` / `to_v_ip` for each cross-attention
layer, numbered 1, 3, 5, ...), so `load_ip_adapter` reads it exactly as it reads the real file.
"""

from __future__ import annotations

from typing import Any

from outcrop.backends import ip_adapter_tiny

IMAGE_EMBED_DIM = 32
IMAGE_SIZE = 32


def image_encoder() -> tuple[Any, Any]:
    """(CLIPVisionModelWithProjection, CLIPImageProcessor), weights drawn from seed 3."""
    import torch
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    config: Any = CLIPVisionConfig
    model: Any = CLIPVisionModelWithProjection
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        encoder = model(
            config(
                hidden_size=32,
                projection_dim=IMAGE_EMBED_DIM,
                num_hidden_layers=2,
                num_attention_heads=4,
                intermediate_size=37,
                image_size=IMAGE_SIZE,
                patch_size=8,
            )
        )
    processor: Any = CLIPImageProcessor
    return encoder.eval(), processor(crop_size=IMAGE_SIZE, size=IMAGE_SIZE)


def adapter_state_dict(unet: Any) -> dict[str, dict[str, Any]]:
    """IP-Adapter weights for `unet`, drawn from seed 4 (std 0.5, so the style image visibly changes outputs)."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(4)
        return ip_adapter_tiny.adapter_state_dict(unet, IMAGE_EMBED_DIM, layer_scale=0.5, projection_scale=0.5)
