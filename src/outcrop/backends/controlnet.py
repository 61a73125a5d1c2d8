"""ControlNet conditioning for text-to-image: condition maps from request images, and the ControlNet models.

Bedrock's `conditionImage` with `controlMode` CANNY_EDGE or SEGMENTATION becomes a ControlNet input:
- CANNY_EDGE: the condition image's edges, found with OpenCV's Canny detector (`canny_edges`), white on black,
  the input the `lllyasviel/sd-controlnet-canny` family was trained on.
- SEGMENTATION: the condition image *is* the segmentation map (one flat colour per region, as ADE20K-style maps
  are drawn); `segmentation_map` only quantises it to its dominant colours, so JPEG noise and anti-aliased
  borders do not read as extra regions.

Where the ControlNet comes from: `options["controlnet_canny"]` / `options["controlnet_seg"]` (a hub id or a
folder in diffusers' layout) for real weights; the `tiny` pipeline gets a seeded tiny ControlNet built in code from
its UNet (`build_tiny`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL.Image import Image

from outcrop.tasks.imaging import to_rgb
from outcrop.tasks.text_to_image import ControlMode

# Canny's hysteresis thresholds on 8-bit grey levels: gradients above HIGH start an edge, those above LOW continue
# one. 100/200 are the values ControlNet's own Canny annotator uses for its training data and demos.
CANNY_LOW = 100
CANNY_HIGH = 200
# Regions a segmentation map may hold after quantising; ADE20K maps of one scene rarely use more.
SEGMENTATION_COLOURS = 24
# The catalog option naming the ControlNet for each mode.
OPTION = {ControlMode.CANNY_EDGE: "controlnet_canny", ControlMode.SEGMENTATION: "controlnet_seg"}


def canny_edges(image: Image, size: tuple[int, int]) -> Image:
    """Binary edges (255 on 0) of `image` scaled to `size`, as an RGB image (ControlNet takes three channels).

    Edges are found at the working size, so they stay one pixel wide wherever the request's image came from.
    """
    import cv2

    grey = np.asarray(to_rgb(image).convert("L").resize(size, PILImage.Resampling.LANCZOS), dtype=np.uint8)
    edges = cv2.Canny(grey, CANNY_LOW, CANNY_HIGH)
    return PILImage.fromarray(edges).convert("RGB")


def segmentation_map(image: Image, size: tuple[int, int], colours: int = SEGMENTATION_COLOURS) -> Image:
    """The map at `size`, each pixel snapped to one of its `colours` dominant colours (median cut, no dither)."""
    rgb = to_rgb(image).resize(size, PILImage.Resampling.NEAREST)
    quantised = rgb.quantize(colors=colours, method=PILImage.Quantize.MEDIANCUT, dither=PILImage.Dither.NONE)
    return quantised.convert("RGB")


def condition_image(image: Image, mode: ControlMode, size: tuple[int, int]) -> Image:
    if mode is ControlMode.CANNY_EDGE:
        return canny_edges(image, size)
    return segmentation_map(image, size)


def load_real(source: str, **dtype: Any) -> Any:
    """A ControlNetModel from a hub id or a diffusers folder; `dtype` is the pipeline's, as diffusers names it."""
    from diffusers import ControlNetModel

    factory: Any = ControlNetModel
    return factory.from_pretrained(source, **dtype)


def build_tiny(unet: Any, vae_scale_factor: int, mode: ControlMode) -> Any:
    """A ControlNet matching the tiny UNet, its weights drawn from a seed per mode off the global RNG.

    `from_unet` copies the UNet's encoder, and, as in training, starts the zero convolutions (the layers that
    feed the ControlNet into the UNet) at zero, which would make conditioning a no-op. A trained ControlNet has
    learned non-zero ones; the tiny one draws them at random, so conditioning visibly changes its images.
    """
    import torch
    from diffusers import ControlNetModel

    # The conditioning embedding must downsample pixels to latents: one stride-2 stage per VAE halving.
    stages = int(math.log2(vae_scale_factor)) + 1
    channels = tuple(16 * 2**i for i in range(stages))
    factory: Any = ControlNetModel
    seed = 1 if mode is ControlMode.CANNY_EDGE else 2
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = factory.from_unet(unet, conditioning_embedding_out_channels=channels)
        zero_convs = [
            *model.controlnet_down_blocks,
            model.controlnet_mid_block,
            model.controlnet_cond_embedding.conv_out,
        ]
        with torch.no_grad():
            for conv in zero_convs:
                torch.nn.init.normal_(conv.weight, std=0.05)
                torch.nn.init.normal_(conv.bias, std=0.05)
    return model.eval()
