"""The `tiny` profile's image condition for virtual try-on: a seeded tiny IP-Adapter built in code.

Real weights pair Stable Diffusion 1.5 with h94/IP-Adapter (a CLIP ViT-H image encoder, an image projection to
four extra context tokens and a key/value pair per cross-attention layer). This builds the same parts at the tiny
UNet's size (`diffusion_tiny`): a CLIPVisionModelWithProjection, CLIP's image processor and an adapter state dict
in the layout `load_ip_adapter` reads, all drawn from seed 1 off the global RNG. Its effect is noise, but it is
the real code path: the garment image is encoded, projected and attended to by every cross-attention layer.
"""

from __future__ import annotations

from typing import Any

from outcrop.backends import clip_tiny, ip_adapter_tiny


def image_encoder(projection_dim: int) -> Any:
    """A 2-layer CLIP vision tower on 32x32 images whose image embeddings have `projection_dim` values."""
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    config: Any = CLIPVisionConfig  # transformers' constructors are unannotated
    factory: Any = CLIPVisionModelWithProjection
    return factory(
        config(
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=clip_tiny.IMAGE_SIZE,
            patch_size=8,
            projection_dim=projection_dim,
        )
    ).eval()


def adapter_state_dict(unet: Any, image_embed_dim: int) -> dict[str, dict[str, Any]]:
    """Adapter weights scaled like a trained layer's (1/sqrt of each input width), drawn from the current seed."""
    context = int(unet.config.cross_attention_dim)
    return ip_adapter_tiny.adapter_state_dict(
        unet, image_embed_dim, layer_scale=context**-0.5, projection_scale=image_embed_dim**-0.5
    )


def attach(pipeline: Any) -> Any:
    """Give `pipeline` (a tiny SD 1.x pipeline) the tiny image encoder, image processor and adapter; returns it."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        dim = int(pipeline.unet.config.cross_attention_dim)
        encoder = image_encoder(dim)
        state = adapter_state_dict(pipeline.unet, dim)
    pipeline.register_modules(image_encoder=encoder, feature_extractor=clip_tiny.build_image_processor())
    pipeline.load_ip_adapter(state, subfolder="", weight_name="", image_encoder_folder=None)
    return pipeline
