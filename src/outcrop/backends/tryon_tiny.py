"""The `tiny` profile's image condition for virtual try-on: a seeded tiny IP-Adapter built in code.

Real weights pair Stable Diffusion 1.5 with h94/IP-Adapter (a CLIP ViT-H image encoder, an image projection to
four extra context tokens and a key/value pair per cross-attention layer). This builds the same parts at the tiny
UNet's size (`diffusion_tiny`): a CLIPVisionModelWithProjection, CLIP's image processor and an adapter state dict
in the layout `load_ip_adapter` reads, all drawn from seed 1 off the global RNG. Its effect is noise, but it is
the real code path: the garment image is encoded, projected and attended to by every cross-attention layer.
"""

from __future__ import annotations

from typing import Any

from outcrop.backends import clip_tiny

IMAGE_TOKENS = 4  # h94/IP-Adapter's plain SD 1.5 adapter adds four image tokens to the text context


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
    """`{"image_proj": ..., "ip_adapter": ...}` for `unet`, keyed as h94's files are (the k-th cross-attention
    layer's `to_k_ip` / `to_v_ip` under key 2k + 1, as `load_ip_adapter` reads them)."""
    import torch

    context = int(unet.config.cross_attention_dim)
    layers: dict[str, Any] = {}
    crossing = [name for name in unet.attn_processors if not name.endswith("attn1.processor")]  # self-attention
    for count, name in enumerate(crossing):  # sees no image tokens; cross-attention k is key 2k + 1
        width = _hidden_size(unet, name)
        layers[f"{2 * count + 1}.to_k_ip.weight"] = torch.randn(width, context) * context**-0.5
        layers[f"{2 * count + 1}.to_v_ip.weight"] = torch.randn(width, context) * context**-0.5
    projection = {
        "proj.weight": torch.randn(context * IMAGE_TOKENS, image_embed_dim) * image_embed_dim**-0.5,
        "proj.bias": torch.zeros(context * IMAGE_TOKENS),
        "norm.weight": torch.ones(context),
        "norm.bias": torch.zeros(context),
    }
    return {"image_proj": projection, "ip_adapter": layers}


def _hidden_size(unet: Any, name: str) -> int:
    """The width of the attention layer `name` (a key of `unet.attn_processors`)."""
    widths = list(unet.config.block_out_channels)
    if name.startswith("mid_block"):
        return int(widths[-1])
    block = int(name.split(".")[1])
    return int(widths[::-1][block] if name.startswith("up_blocks") else widths[block])


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
