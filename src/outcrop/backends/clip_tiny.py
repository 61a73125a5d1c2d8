"""The built-in `tiny` image+text embedding model: a real CLIP architecture at toy size, built in code.

No CLIP-family weights can be downloaded on every machine Outcrop is tested on, so tests and users' CI build this
one instead: the same transformers CLIPModel, a tokenizer with CLIP's layout (lower-cased byte-level BPE, start and
end markers, padding with the end marker) and a CLIP image processor, so `clip.py` runs the very code path real
weights take. Its vectors are noise, but the same noise in every process.
"""

from __future__ import annotations

from typing import Any

# Training text for the tokenizer: it only has to give a stable, small byte-level BPE vocabulary.
_CORPUS = (
    "a photo of a cat sitting on a red sofa",
    "a photo of a dog running on the beach",
    "a close-up of a cup of coffee on a wooden table",
    "a drawing of a mountain lake at sunset",
    "an astronaut in a white space suit",
    "a rocket launching into a blue sky",
    "a steel water bottle, a canvas tote bag and a bamboo cutting board",
    "the quick brown fox jumps over the lazy dog",
)
_VOCAB_SIZE = 320
_BOS, _EOS = "<|startoftext|>", "<|endoftext|>"
MAX_POSITIONS = 77  # CLIP's text length, so truncation behaves as with real weights
IMAGE_SIZE = 32


def build_tokenizer() -> Any:
    """A lower-casing byte-level BPE trained on `_CORPUS`: any text encodes, nothing maps to unknown."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=_VOCAB_SIZE,
        special_tokens=[_BOS, _EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS, trainer=trainer)
    bos, eos = tokenizer.token_to_id(_BOS), tokenizer.token_to_id(_EOS)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{_BOS} $A {_EOS}", special_tokens=[(_BOS, bos), (_EOS, eos)]
    )
    wrapper: Any = PreTrainedTokenizerFast  # transformers' constructors are unannotated
    return wrapper(
        tokenizer_object=tokenizer,
        bos_token=_BOS,
        eos_token=_EOS,
        pad_token=_EOS,  # as openai/clip-*: padding repeats the end marker, which the text pooling relies on
        model_max_length=MAX_POSITIONS,
        model_input_names=["input_ids", "attention_mask"],
    )


def build_image_processor() -> Any:
    """CLIP's preprocessing (shortest edge resize, centre crop, CLIP mean/std) at 32x32 pixels."""
    # The PIL variant is what CLIPImageProcessor falls back to without torchvision; naming it avoids the warning.
    from transformers import CLIPImageProcessorPil

    factory: Any = CLIPImageProcessorPil
    return factory(size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})


def build_model(tokenizer: Any) -> Any:
    """A CLIPModel with 2-layer, 32-wide towers and 32-d projections, drawn from seed 0 off the global RNG."""
    import torch
    from transformers import CLIPConfig, CLIPModel

    tower = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}
    text = {
        **tower,
        "vocab_size": len(tokenizer),
        "max_position_embeddings": MAX_POSITIONS,
        # The text tower pools at the first end marker, found by this id.
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    vision = {**tower, "image_size": IMAGE_SIZE, "patch_size": 8}
    config: Any = CLIPConfig  # transformers' constructors are unannotated
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model: Any = CLIPModel(config(text_config=text, vision_config=vision, projection_dim=32))
    return model.eval()


def build() -> tuple[Any, Any, Any]:
    """(model, tokenizer, image_processor), ready for `clip.ClipBackend`."""
    tokenizer = build_tokenizer()
    return build_model(tokenizer), tokenizer, build_image_processor()
