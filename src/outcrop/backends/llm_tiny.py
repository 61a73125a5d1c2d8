"""The built-in `tiny` text model: a real Llama architecture at toy size, built in code with fixed seeds.

It needs no download, so tests and users' CI exercise the same tokenize -> chat template -> generate path as real
weights. Its output is noise, but the same noise on every run.
"""

from __future__ import annotations

from typing import Any

# Training text for the tokenizer. It only has to give a stable, small byte-level BPE vocabulary.
_CORPUS = (
    "You write catalogue copy.",
    "Write a bullet list of product descriptions.",
    "- A steel water bottle that keeps drinks cold for a whole day.",
    "- A canvas tote bag, sturdy enough for the weekly shop.",
    "- A bamboo cutting board with a groove that catches juice.",
    "The quick brown fox jumps over the lazy dog.",
    "Hello! How can I help you today? Thank you, goodbye.",
)
_VOCAB_SIZE = 384
_BOS, _EOS, _PAD, _START = "<|endoftext|>", "<|im_end|>", "<|pad|>", "<|im_start|>"

# ChatML, the format SmolLM2 and Qwen2.5 use, so the tiny model's prompts look like the real ones.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def build_tokenizer() -> Any:
    """A byte-level BPE tokenizer trained on `_CORPUS`: any text encodes, nothing maps to unknown."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=_VOCAB_SIZE,
        special_tokens=[_BOS, _EOS, _PAD, _START],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS, trainer=trainer)
    wrapper: Any = PreTrainedTokenizerFast  # transformers' constructors are unannotated
    return wrapper(
        tokenizer_object=tokenizer,
        bos_token=_BOS,
        eos_token=_EOS,
        pad_token=_PAD,
        chat_template=CHAT_TEMPLATE,
    )


def build_model(tokenizer: Any) -> Any:
    """A 2-layer Llama with hidden size 32, its weights drawn from seed 0 without touching the global RNG."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model: Any = LlamaForCausalLM(config)
    return model.eval()
