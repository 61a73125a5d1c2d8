"""Seeded IP-Adapter weights for a tiny Stable Diffusion UNet, keyed as h94/IP-Adapter's files are, so diffusers'
real `load_ip_adapter` reads them (used by the guided and try-on backends' tiny profiles)."""

from __future__ import annotations

from typing import Any

TOKENS = 4  # h94/IP-Adapter's plain SD 1.5 adapter adds four image tokens to the text context


def adapter_state_dict(
    unet: Any, image_embed_dim: int, layer_scale: float, projection_scale: float
) -> dict[str, dict[str, Any]]:
    """`{"image_proj": ..., "ip_adapter": ...}` for `unet`, drawn from torch's current random state (the caller
    seeds it): the k-th cross-attention layer's `to_k_ip` / `to_v_ip` under key 2k + 1, then the projection."""
    import torch

    context = int(unet.config.cross_attention_dim)
    layers: dict[str, Any] = {}
    crossing = [name for name in unet.attn_processors if not name.endswith("attn1.processor")]  # self-attention
    for count, name in enumerate(crossing):  # sees no image tokens
        width = _hidden_size(unet, name)
        layers[f"{2 * count + 1}.to_k_ip.weight"] = torch.randn(width, context) * layer_scale
        layers[f"{2 * count + 1}.to_v_ip.weight"] = torch.randn(width, context) * layer_scale
    projection = {
        "proj.weight": torch.randn(context * TOKENS, image_embed_dim) * projection_scale,
        "proj.bias": torch.zeros(context * TOKENS),
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
