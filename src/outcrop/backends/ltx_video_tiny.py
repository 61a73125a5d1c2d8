"""The built-in `tiny` LTX-Video model: a real LTXConditionPipeline at toy size, built in code.

No video weights reach the machines Outcrop is tested on, so tests and CI build this one, with the sizes
diffusers' own LTX tests use: a one-layer LTXVideoTransformer3DModel 32 wide, an AutoencoderKLLTXVideo with
8 channels that compresses 4x in space and time, and a two-layer T5 encoder 32 wide over a small word-piece
tokenizer written in code (T5's layout: padding id 0, an end marker after the text). Every code path in
`ltx_video.py` runs for real, keyframe conditioning included; the frames are noise, the same noise everywhere.
"""

from __future__ import annotations

from typing import Any

# What the tiny model generates: 4 frames a second at about 64x32 (the pipeline needs multiples of 32), so a
# 5 s shot is 17 frames and a 9 s one 33. The codec scales and retimes them to the task's size and 24 fps.
OPTIONS: dict[str, Any] = {
    "gen_pixels": 2048,
    "gen_fps": 4,
    "max_frames": 65,
    "steps": 2,
    "guidance_scale": 3.0,
    "max_sequence_length": 32,
}
_WORDS = ("the", "on", "of", "in", "at", "and", "red", "blue", "boat", "street", "table", "slow", "pan", "shot")
_PAD, _EOS, _UNK = "<pad>", "</s>", "<unk>"
_WIDTH = 32  # the T5 hidden size, the transformer's caption_channels and its cross-attention width


def build_tokenizer() -> Any:
    """A lower-casing word-piece tokenizer with T5's special tokens (pad 0, end 1) over a vocabulary written here:
    a few whole words, then single characters, so any text encodes. (Trained vocabularies break ties differently
    from one process to the next, which would change the tiny model's output.)"""
    import string

    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    alphabet = string.ascii_lowercase + string.digits + string.punctuation
    pieces = [_PAD, _EOS, _UNK, *_WORDS, *alphabet, *(f"##{c}" for c in alphabet)]
    vocab = {piece: i for i, piece in enumerate(dict.fromkeys(pieces))}  # ids 0..n-1, each piece once
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token=_UNK))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFKD(), normalizers.StripAccents(), normalizers.Lowercase()]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(single=f"$A {_EOS}", special_tokens=[(_EOS, 1)])
    wrapper: Any = PreTrainedTokenizerFast  # transformers' constructors are unannotated
    return wrapper(tokenizer_object=tokenizer, pad_token=_PAD, eos_token=_EOS, unk_token=_UNK, model_max_length=128)


def _text_encoder(tokenizer: Any) -> Any:
    from transformers import T5Config, T5EncoderModel

    config: Any = T5Config
    return T5EncoderModel(
        config(
            vocab_size=len(tokenizer),
            d_model=_WIDTH,
            d_ff=37,
            num_layers=2,
            num_heads=4,
            d_kv=8,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    )


def _transformer() -> Any:
    from diffusers import LTXVideoTransformer3DModel

    factory: Any = LTXVideoTransformer3DModel
    return factory(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=_WIDTH,
        num_layers=1,
        caption_channels=_WIDTH,
    )


def _vae() -> Any:
    from diffusers import AutoencoderKLLTXVideo

    factory: Any = AutoencoderKLLTXVideo
    vae = factory(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),  # 4x in space and in time
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    return vae


def build() -> Any:
    """An LTXConditionPipeline whose weights are drawn from seed 0 without touching the global RNG."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, LTXConditionPipeline

    tokenizer = build_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        transformer, vae, encoder = _transformer(), _vae(), _text_encoder(tokenizer)
    pipeline: Any = LTXConditionPipeline
    scheduler: Any = FlowMatchEulerDiscreteScheduler
    return pipeline(
        scheduler=scheduler(),
        vae=vae.eval(),
        text_encoder=encoder.eval(),  # eval: a freshly built T5 is in training mode, with dropout on
        tokenizer=tokenizer,
        transformer=transformer.eval(),
    )
