"""A deterministic test double of an embedding backend (named as one), for KB and wire tests.

Texts and images map to fixed vectors derived from their content (a hash seeds a Gaussian), except that text
"colour:NAME" and a solid image of that colour land on the same vector, so text->image search has a known answer.
It counts its calls so tests can see cache hits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.backends.embedding_space import EmbeddingSpace, at_length
from outcrop.tasks import EmbedTask, Task, TaskKind
from outcrop.tasks.embed import EmbedResult
from support.live_server import LiveServer

NATIVE = 64
OVERLAY = """
[weights.double-embedder]
description = "deterministic test double of an embedding model"
builtin = true

[profiles.tiny.bindings."amazon.titan-embed-image-v1"]
EMBED = { backend = "double-embedder", weights = "double-embedder" }

[profiles.tiny.bindings."amazon.nova-2-multimodal-embeddings-v1:0"]
EMBED = { backend = "double-embedder", weights = "double-embedder" }
"""

CALLS: list[int] = []  # batch sizes seen by the backend


def _seeded(key: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
    vector = np.random.default_rng(seed).normal(size=NATIVE)
    return vector / np.linalg.norm(vector)


def image_key(task: EmbedTask) -> str:
    assert task.image is not None
    colours = task.image.convert("RGB").getcolors(maxcolors=1)
    if colours:  # a solid image: the colour name the caller used for it
        r, g, b = colours[0][1]
        return f"colour:{r:02x}{g:02x}{b:02x}"
    return "pixels:" + hashlib.sha256(task.image.convert("RGB").tobytes()).hexdigest()


class DoubleEmbedder:
    kinds = frozenset({TaskKind.EMBED})
    max_batch = 8

    def __init__(self) -> None:
        self.space = EmbeddingSpace.identity(NATIVE)

    def run(self, task: Task, progress: ProgressFn) -> EmbedResult:
        return self.run_batch([task])[0]

    def run_batch(self, tasks: list[Task]) -> list[EmbedResult]:
        CALLS.append(len(tasks))
        return [self._one(task) for task in tasks]

    def _one(self, task: Task) -> EmbedResult:
        assert isinstance(task, EmbedTask)
        parts = []
        if task.text is not None:
            parts.append(_seeded(task.text))
        if task.image is not None:
            parts.append(_seeded(image_key(task)))
        tokens = len(task.text.split()) if task.text else 0
        full = self.space.rotate(np.mean(parts, axis=0))
        return EmbedResult(vector=at_length(full, task.dimension), text_token_count=tokens, full=full)

    def close(self) -> None:
        pass


def load(spec: LoadSpec) -> DoubleEmbedder:
    return DoubleEmbedder()


@contextmanager
def serving(home: Path, models_dir: Path, **overrides: Any) -> Iterator[LiveServer]:
    """A tiny-profile server in `home` whose embedding models are this test double (settings `overrides` apply)."""
    import pytest

    from outcrop.backends import registry
    from support.live_server import start_server

    (home / "catalog.toml").write_text(OVERLAY)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry.BACKENDS, "double-embedder", "support.double_embedder:load")
        with start_server(home=home, models_dir=models_dir, profile="tiny", **overrides) as server:
            yield server
