"""Text embedding models in sentence-transformers folders (all-MiniLM-L6-v2, e5, ...), through transformers alone.

Serves Titan Text Embeddings and Cohere Embed ids: text only, mean pooling and L2 normalisation (text_encoder.py).
Output lengths come from one `EmbeddingSpace`, whose axes are the principal axes of the model's own vectors for
a fixed word list (the first whole words of its vocabulary): shorter outputs keep the leading axes, longer ones are
the native vector spread by an isometry. The basis is computed once per weights folder and cached beside it.

Catalog options: `query_prefix` / `document_prefix` (e5-style models embed "query: ..." and "passage: ..."
differently; the task's embedding purpose picks one), `max_tokens` (a cap below the model's own window).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from outcrop.atomic_write import write_atomically
from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.backends.embedding_space import EmbeddingSpace, at_length
from outcrop.backends.placement import module_bytes, torch_dtype
from outcrop.backends.text_encoder import TextEncoder, load_text_encoder
from outcrop.errors import ValidationError
from outcrop.tasks import EmbedTask, Task, TaskKind
from outcrop.tasks.embed import EmbeddingPurpose, EmbedResult

log = logging.getLogger(__name__)
REFERENCE_WORDS = 2000
_QUERY_PURPOSES = frozenset({EmbeddingPurpose.GENERIC_RETRIEVAL, EmbeddingPurpose.TEXT_RETRIEVAL,
                             EmbeddingPurpose.DOCUMENT_RETRIEVAL})  # fmt: skip


@dataclass(frozen=True)
class Prefixes:
    query: str = ""
    document: str = ""

    def apply(self, task: EmbedTask) -> str:
        assert task.text is not None
        return (self.query if task.purpose in _QUERY_PURPOSES else self.document) + task.text


def load(spec: LoadSpec) -> SentenceBackend:
    if spec.weights_dir is None:
        raise ValueError("the sentence backend needs a weights folder (a sentence-transformers model)")
    folder = spec.weights_dir / str(spec.options.get("subfolder", ""))
    if spec.threads:
        import torch

        torch.set_num_threads(spec.threads)
    cap = spec.options.get("max_tokens")
    encoder = load_text_encoder(folder, spec.device, int(cap) if cap else None, torch_dtype(spec))
    prefixes = Prefixes(str(spec.options.get("query_prefix", "")), str(spec.options.get("document_prefix", "")))
    return SentenceBackend(encoder, reference_space(folder, encoder, spec), prefixes)


class SentenceBackend:
    kinds = frozenset({TaskKind.EMBED})
    max_batch = 32

    def __init__(self, encoder: TextEncoder, space: EmbeddingSpace, prefixes: Prefixes) -> None:
        self._encoder: TextEncoder | None = encoder
        self._space = space
        self._prefixes = prefixes

    @property
    def native_dimension(self) -> int:
        return self._space.native_dimension

    def run(self, task: Task, progress: ProgressFn) -> EmbedResult:
        return self.run_batch([task])[0]

    def run_batch(self, tasks: list[Task]) -> list[EmbedResult]:
        embed_tasks = [self._checked(task) for task in tasks]
        encoded = self._encoder_or_fail().encode([self._prefixes.apply(task) for task in embed_tasks])
        full = self._space.rotate(encoded.vectors)
        return [
            EmbedResult(vector=at_length(row, task.dimension), text_token_count=tokens, full=row)
            for task, row, tokens in zip(embed_tasks, full, encoded.token_counts, strict=True)
        ]

    def _checked(self, task: Task) -> EmbedTask:
        if not isinstance(task, EmbedTask):
            raise ValidationError(f"This text embedding model cannot run {task.kind} tasks.")
        if task.image is not None or task.text is None:
            raise ValidationError("This model embeds text only; send inputText (or texts), not an image.")
        if task.dimension < 1:
            raise ValidationError(f"The embedding length must be positive, got {task.dimension}.")
        encoder = self._encoder_or_fail()
        tokens = encoder.count_tokens([self._prefixes.apply(task)])[0]
        if tokens > encoder.window and not task.truncate:
            raise ValidationError(
                f"The input text is {tokens} tokens long, but this model reads at most {encoder.window} tokens. "
                "Shorten the text, or allow truncation where the API has it."
            )
        return task

    def _encoder_or_fail(self) -> TextEncoder:
        if self._encoder is None:
            raise RuntimeError("this text embedding backend was closed; load it again.")
        return self._encoder

    def memory_bytes(self) -> int:
        return module_bytes(self._encoder.model if self._encoder is not None else None)

    def close(self) -> None:
        self._encoder = None


def reference_words(encoder: TextEncoder, count: int = REFERENCE_WORDS) -> list[str]:
    """The first `count` whole, alphabetic words of the tokenizer's vocabulary (in vocabulary order)."""
    vocabulary = sorted(encoder.vocabulary().items(), key=lambda item: item[1])
    words = [token for token, _ in vocabulary if token.isalpha() and token.isascii() and len(token) >= 3]
    return words[:count]


def reference_space(folder: Path, encoder: TextEncoder, spec: LoadSpec) -> EmbeddingSpace:
    """The output space's basis, cached beside the weights (~2 s of encoding saved per load); read-only weights
    folders keep it in memory only."""
    words = reference_words(encoder)
    key = hashlib.sha256("\n".join([*words, spec.dtype]).encode()).hexdigest()[:16]
    path = folder / ".outcrop" / f"basis-{key}.npy"
    if path.is_file():
        return EmbeddingSpace.load(path)
    space = EmbeddingSpace.from_reference(encoder.encode(words).vectors.astype(np.float64))
    try:
        write_atomically(path, space.save, mode=0o644)
    except OSError as error:
        log.info("embedding basis not cached (%s); it is recomputed at each load", error)
    return space
