"""Text generation for Converse: a causal language model behind its tokenizer's chat template.

Where the weights come from, by LoadSpec:
- `weights_dir` with `options["gguf_file"]`: a GGUF file, dequantized to torch by transformers (needs `gguf`).
- `weights_dir` alone: a transformers model directory (config, tokenizer, safetensors).
- no `weights_dir` but `options["hub_id"]`: a Hugging Face Hub model, for users with internet access.
- neither: the built-in `tiny` model (`llm_tiny`), seeded noise through the same generate path.

Options: `dtype` (float32, the default, bfloat16 or float16); `repetition_penalty` (default 1.0, off), which small
models need to keep greedy decoding from looping (1.1 is llama.cpp's long-standing default).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from outcrop.backends.base import LoadSpec, ProgressFn, TextStream
from outcrop.backends.hf import quiet_transformers
from outcrop.backends.placement import module_bytes, place, torch_dtype
from outcrop.errors import ValidationError
from outcrop.tasks import TaskKind
from outcrop.tasks.converse import ConverseResult, ConverseTask, InferenceConfig, StopReason

if TYPE_CHECKING:
    import torch


# Sampling draws from torch's process-wide RNG, which other backends' threads share: seeding and generating
# happen under one lock so that a seed always gives the same text.
_RNG_LOCK = threading.Lock()


def load(spec: LoadSpec) -> LlmBackend:
    """Load the tokenizer and model that `spec` names; see the module docstring for the ways."""
    import torch

    if spec.threads:
        torch.set_num_threads(spec.threads)
    tokenizer, model = _load_weights(spec)
    penalty = float(spec.options.get("repetition_penalty", 1.0))
    return LlmBackend(tokenizer, place(model, spec).eval(), spec.device, penalty)


def _load_weights(spec: LoadSpec) -> tuple[Any, Any]:
    if spec.weights_dir is not None:
        return _from_pretrained(str(spec.weights_dir), spec)
    hub_id = spec.options.get("hub_id")
    if hub_id:
        return _from_pretrained(str(hub_id), spec)
    from outcrop.backends import llm_tiny

    tokenizer = llm_tiny.build_tokenizer()
    return tokenizer, llm_tiny.build_model(tokenizer)


def _from_pretrained(source: str, spec: LoadSpec) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    options = spec.options
    files = {"gguf_file": str(options["gguf_file"])} if options.get("gguf_file") else {}
    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(source, **files)
    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype(spec), **files)
    return tokenizer, model


def chat_messages(task: ConverseTask) -> list[dict[str, str]]:
    """The task as chat-template messages: system prompts joined into one, then the turns in order."""
    for number, message in enumerate(task.messages, start=1):
        if message.images:
            raise ValidationError(
                f"Message {number} ({message.role}) contains {len(message.images)} image(s), but this model "
                "reads text only. Send text content blocks only, or choose a model that accepts images."
            )
    chat = [{"role": "system", "content": "\n\n".join(task.system)}] if task.system else []
    chat.extend({"role": str(message.role), "content": message.text} for message in task.messages)
    return chat


def first_stop(text: str, stop_sequences: Sequence[str]) -> int | None:
    """Where the earliest stop sequence starts in `text`, or None."""
    found = [text.find(stop) for stop in stop_sequences if stop and stop in text]
    return min(found) if found else None


class _Watch:
    """A stopping criterion for `generate`: reports progress, and stops once a stop sequence appears.

    Decoding what was generated so far (rather than transformers' token-table `stop_strings`) sees exactly the
    text the caller gets, so the check here and the trim in `_result` can never disagree.
    """

    def __init__(self, tokenizer: Any, prompt_len: int, config: InferenceConfig, progress: ProgressFn) -> None:
        self._tokenizer = tokenizer
        self._prompt_len = prompt_len
        self._config = config
        self._progress = progress
        self._stream = progress if isinstance(progress, TextStream) else None
        # A streamed tail could still turn out to start a stop sequence: hold back that many characters.
        self._holdback = max((len(stop) - 1 for stop in config.stop_sequences), default=0)
        self._sent = ""

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        import torch

        generated = input_ids[0, self._prompt_len :]
        self._progress(min(1.0, len(generated) / max(1, self._config.max_tokens)))
        hit = False
        if self._config.stop_sequences or self._stream is not None:
            text = self._tokenizer.decode(generated, skip_special_tokens=True)
            hit = first_stop(text, self._config.stop_sequences) is not None
            hit = hit or self._emit(text)
        return torch.full((input_ids.shape[0],), hit, dtype=torch.bool, device=input_ids.device)

    def _emit(self, text: str) -> bool:
        """Send the text that can no longer change to the stream; True when the stream asks to stop."""
        if self._stream is None:
            return False
        if self._stream.cancelled:
            return True
        ready = text[: len(text) - self._holdback].rstrip("\ufffd")  # an unfinished UTF-8 sequence waits too
        if len(ready) > len(self._sent) and ready.startswith(self._sent):
            self._stream.text(ready[len(self._sent) :])
            self._sent = ready
        return False


class LlmBackend:
    """A loaded chat model; `run` answers one Converse task."""

    kinds = frozenset({TaskKind.CONVERSE})

    def __init__(self, tokenizer: Any, model: Any, device: str, repetition_penalty: float = 1.0) -> None:
        self._tokenizer = tokenizer
        self._model = model
        self._device = device
        self._repetition_penalty = repetition_penalty

    def run(self, task: ConverseTask, progress: ProgressFn) -> ConverseResult:
        # 1. check and encode the conversation, 2. generate, 3. decode, trim at a stop sequence, count tokens.
        prompt = self._encode(task)
        prompt_len = int(prompt["input_ids"].shape[1])
        watch = _Watch(self._tokenizer, prompt_len, task.inference, progress)
        generated = self._generate(prompt, task.inference, task.seed, watch)
        progress(1.0)
        return self._result(generated, prompt_len, task.inference)

    def close(self) -> None:
        self._model = None
        self._tokenizer = None

    def memory_bytes(self) -> int:
        return module_bytes(self._model)

    def _encode(self, task: ConverseTask) -> Any:
        prompt = self._tokenizer.apply_chat_template(
            chat_messages(task), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        self._check_length(int(prompt["input_ids"].shape[1]), task.inference.max_tokens)
        return prompt.to(self._device)

    def _check_length(self, prompt_tokens: int, max_tokens: int) -> None:
        """Refuse, as Bedrock does, a conversation that cannot fit the model's context with the answer asked for."""
        window = int(getattr(self._model.config, "max_position_embeddings", 0) or 0)
        if window and prompt_tokens + max_tokens > window:
            raise ValidationError(
                f"Input is too long for requested model: the conversation is {prompt_tokens} tokens and "
                f"maxTokens {max_tokens}, over this model's {window}-token context. Send a shorter conversation "
                "or a smaller maxTokens."
            )

    def _generate(self, prompt: Any, config: InferenceConfig, seed: int, watch: _Watch) -> torch.Tensor:
        import torch
        from transformers import StoppingCriteriaList

        with _RNG_LOCK, torch.inference_mode():
            torch.manual_seed(seed)
            output = self._model.generate(
                **prompt,
                generation_config=self._generation_config(config),
                stopping_criteria=StoppingCriteriaList([watch]),
            )
        return output[0, prompt["input_ids"].shape[1] :]

    def _generation_config(self, config: InferenceConfig) -> Any:
        from transformers import GenerationConfig

        # A fresh config rather than the model's own: its sampling defaults would otherwise leak into greedy runs.
        sampling = {"do_sample": True, "temperature": config.temperature, "top_p": config.top_p}
        factory: Any = GenerationConfig  # transformers' constructors are unannotated
        return factory(
            max_new_tokens=config.max_tokens,
            eos_token_id=self._eos_ids(),
            pad_token_id=self._pad_token_id(),
            repetition_penalty=self._repetition_penalty,
            **(sampling if config.temperature > 0 else {"do_sample": False}),
        )

    def _eos_ids(self) -> list[int]:
        # Some chat models end a turn with any of several tokens; their generation config lists them all.
        eos = self._model.generation_config.eos_token_id
        if eos is None:
            eos = self._tokenizer.eos_token_id
        return [int(token) for token in (eos if isinstance(eos, list) else [eos])]

    def _pad_token_id(self) -> int:
        pad = self._tokenizer.pad_token_id
        return int(self._eos_ids()[0] if pad is None else pad)

    def _result(self, generated: torch.Tensor, prompt_len: int, config: InferenceConfig) -> ConverseResult:
        ids = generated.tolist()
        text = self._tokenizer.decode(ids, skip_special_tokens=True)
        cut = first_stop(text, config.stop_sequences)
        if cut is not None:
            text, reason = text[:cut], StopReason.STOP_SEQUENCE
        elif len(ids) >= config.max_tokens and ids[-1] not in self._eos_ids():
            reason = StopReason.MAX_TOKENS
        else:
            reason = StopReason.END_TURN
        return ConverseResult(text=text, stop_reason=reason, input_tokens=prompt_len, output_tokens=len(ids))
