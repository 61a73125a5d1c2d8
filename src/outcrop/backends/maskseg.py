"""Text-to-mask for `maskPrompt`: CLIPSeg (transformers) turns an image and a phrase into a binary mask.

Where the model comes from: `options["maskseg"]` on the diffusion binding, a hub id (`CIDAS/clipseg-rd64-refined`)
or a folder holding that layout (config, weights, tokenizer, preprocessor_config.json). The `tiny` pipeline gets a
seeded tiny CLIPSeg built in code (`build_tiny`): a real CLIPSegForImageSegmentation at toy size, with the tiny
CLIP tokenizer of `clip_tiny` and an image processor configured here, so every step below runs for real; its
masks are noise (but never empty, and the same in every process).

The mask follows Bedrock's convention: black (0) where the phrase is, white (255) elsewhere, the image's size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL.Image import Image

# CLIPSeg's sigmoid output is a soft map; 0.4 is the cut its authors' demos and most downstream inpainting tools
# use (a little under 0.5, because the map runs low on thin parts of an object).
THRESHOLD = 0.4
# When no pixel passes the threshold (a phrase the model does not find), the most likely TOP_FRACTION of pixels
# is taken instead, so a request never gets an empty mask that would silently change nothing.
TOP_FRACTION = 0.1
# CLIP's normalisation, which CLIPSeg's processor uses too.
_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
_TINY_IMAGE_SIZE = 64


class TextMasker:
    """A CLIPSeg model with its tokenizer and image processor; `mask` is the only entry point."""

    def __init__(self, model: Any, tokenizer: Any, image_processor: Any) -> None:
        self._model = model.eval()
        self._tokenizer = tokenizer
        self._image_processor = image_processor

    def to(self, device: str, dtype: Any = None) -> TextMasker:
        """Move the model to `device` (and `dtype`, when given); returns self."""
        self._model = self._model.to(device) if dtype is None else self._model.to(device, dtype)
        return self

    @property
    def model(self) -> Any:
        return self._model

    def probabilities(self, image: Image, text: str) -> np.ndarray:
        """The sigmoid map at the model's resolution, float32 in 0..1."""
        import torch

        model = self._model
        words = self._tokenizer([text], padding=True, truncation=True, return_tensors="pt")
        pixels = self._image_processor(images=[image.convert("RGB")], return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            logits = model(
                input_ids=words["input_ids"].to(model.device),
                attention_mask=words["attention_mask"].to(model.device),
                pixel_values=pixels.to(device=model.device, dtype=model.dtype),
            ).logits
        # CLIPSeg squeezes a batch of one to (height, width); keep the last two axes whatever it returns.
        grid = logits.reshape(logits.shape[-2:]).float().sigmoid().cpu().numpy()
        return np.asarray(grid, dtype=np.float32)

    def mask(self, image: Image, text: str) -> Image:
        """Binary 'L' mask of `image`'s size: 0 where `text` is found, 255 elsewhere; never all 255."""
        grid = self.probabilities(image, text)
        soft = PILImage.fromarray(grid, mode="F").resize(image.size, PILImage.Resampling.BILINEAR)
        return binary_mask(np.asarray(soft, dtype=np.float32))


def binary_mask(probabilities: np.ndarray, threshold: float = THRESHOLD, top: float = TOP_FRACTION) -> Image:
    """0 where `probabilities` pass `threshold` (or, if none does, in the top `top` fraction), 255 elsewhere."""
    named = probabilities >= threshold
    if not named.any():
        named = probabilities >= np.quantile(probabilities, 1.0 - top)
    return PILImage.fromarray(np.where(named, 0, 255).astype(np.uint8), mode="L")


def load(source: str, device: str = "cpu", dtype: Any = None) -> TextMasker:
    """CLIPSeg from a hub id or folder (see the module docstring), on `device` in `dtype` (default float32)."""
    from transformers import AutoImageProcessor, AutoTokenizer, CLIPSegForImageSegmentation

    factory: Any = CLIPSegForImageSegmentation
    model = factory.from_pretrained(source, **({"dtype": dtype} if dtype is not None else {})).to(device)
    tokenizer: Any = AutoTokenizer
    processor: Any = AutoImageProcessor
    return TextMasker(model, tokenizer.from_pretrained(source), processor.from_pretrained(source))


def build_tiny() -> TextMasker:
    """CLIPSeg with 2-layer, 32-wide towers on 64x64 images, drawn from seed 0 off the global RNG."""
    import torch
    from transformers import CLIPSegConfig, CLIPSegForImageSegmentation, ViTImageProcessorPil

    from outcrop.backends import clip_tiny

    tokenizer = clip_tiny.build_tokenizer()
    tower = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}
    text = {
        **tower,
        "vocab_size": len(tokenizer),
        "max_position_embeddings": clip_tiny.MAX_POSITIONS,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    vision = {**tower, "image_size": _TINY_IMAGE_SIZE, "patch_size": 8}
    config: Any = CLIPSegConfig  # transformers' constructors are unannotated
    factory: Any = CLIPSegForImageSegmentation
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = factory(
            config(
                text_config=text,
                vision_config=vision,
                projection_dim=32,
                extract_layers=(0, 1),
                reduce_dim=16,
                decoder_num_attention_heads=2,
                decoder_intermediate_size=32,
            )
        )
    # CLIPSeg's preprocessing: a square resize (no crop, so the mask covers the whole image) and CLIP's mean/std.
    processor: Any = ViTImageProcessorPil
    image_processor = processor(
        size={"height": _TINY_IMAGE_SIZE, "width": _TINY_IMAGE_SIZE}, image_mean=_CLIP_MEAN, image_std=_CLIP_STD
    )
    return TextMasker(model, tokenizer, image_processor)
