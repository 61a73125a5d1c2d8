"""Bedrock's `chunkingConfiguration` for text documents: FIXED_SIZE, HIERARCHICAL or NONE.

No tokenizer is tied to a knowledge base, so windows are cut on whitespace-separated words at the usual rate for
English of 0.75 words per token (maxTokens 300 -> 225 words). Chunks that are embedded are also fitted to the
embedding model's input limit (`fit`), so the end of a chunk is never cut off by the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from outcrop.errors import ValidationError

DEFAULT_CHUNKING: dict[str, Any] = {
    "chunkingStrategy": "FIXED_SIZE",
    "fixedSizeChunkingConfiguration": {"maxTokens": 300, "overlapPercentage": 20},
}


@dataclass(frozen=True)
class Chunk:
    """`embed` is what is embedded and searched; `text` is what a search returns (the parent, when hierarchical)."""

    embed: str
    text: str


@dataclass(frozen=True)
class Chunking:
    strategy: str
    max_tokens: int = 300
    overlap_tokens: int = 60
    parent_tokens: int = 0  # HIERARCHICAL: the parent chunks that searches return

    def fit(self, limit: int) -> Chunking:
        """The same chunking with embedded chunks of at most `limit` model tokens ([CLS]/[SEP]-style markers
        included); the overlap shrinks in proportion."""
        room = max(1, limit - 2)
        if self.strategy == "NONE" or self.max_tokens <= room:
            return self
        return replace(self, max_tokens=room, overlap_tokens=self.overlap_tokens * room // self.max_tokens)

    def split(self, text: str) -> list[Chunk]:
        words = text.split()
        if not words:
            return []
        if self.strategy == "NONE":
            return [Chunk(" ".join(words), " ".join(words))]
        overlap = _words(self.overlap_tokens) if self.overlap_tokens else 0
        if self.strategy == "HIERARCHICAL":
            return [chunk for parent in _windows(words, _words(self.parent_tokens), overlap)
                    for chunk in self._children(parent, overlap)]  # fmt: skip
        return [Chunk(" ".join(w), " ".join(w)) for w in _windows(words, _words(self.max_tokens), overlap)]

    def _children(self, parent: list[str], overlap: int) -> list[Chunk]:
        text = " ".join(parent)
        return [Chunk(" ".join(child), text) for child in _windows(parent, _words(self.max_tokens), overlap)]


def _words(tokens: int) -> int:
    return max(1, tokens * 3 // 4)


def _windows(words: list[str], size: int, overlap: int) -> list[list[str]]:
    if len(words) <= size:
        return [words]
    step = max(1, size - overlap)
    return [words[i : i + size] for i in range(0, len(words) - overlap, step)]


def parse_chunking(config: Mapping[str, Any] | None, where: str = "chunkingConfiguration") -> Chunking:
    """Validate a Bedrock chunkingConfiguration (None or {} means Bedrock's default: 300 tokens, 20% overlap)."""
    config = config or DEFAULT_CHUNKING
    strategy = config.get("chunkingStrategy")
    if strategy == "NONE":
        return Chunking("NONE")
    if strategy == "FIXED_SIZE":
        fixed = _section(config, "fixedSizeChunkingConfiguration", where)
        size = _bounded(fixed, "maxTokens", 1, 8192, where)
        percent = _bounded(fixed, "overlapPercentage", 1, 99, where)
        return Chunking("FIXED_SIZE", size, size * percent // 100)
    if strategy == "HIERARCHICAL":
        return _hierarchical(_section(config, "hierarchicalChunkingConfiguration", where), where)
    raise ValidationError(
        f"{where}.chunkingStrategy {strategy!r} is not supported here; use FIXED_SIZE, HIERARCHICAL or NONE."
    )


def _hierarchical(config: Mapping[str, Any], where: str) -> Chunking:
    levels = config.get("levelConfigurations")
    if not isinstance(levels, list) or len(levels) != 2 or not all(isinstance(level, dict) for level in levels):
        raise ValidationError(
            f"{where}.hierarchicalChunkingConfiguration.levelConfigurations must be two objects "
            '[{"maxTokens": PARENT}, {"maxTokens": CHILD}].'
        )
    parent = _bounded(levels[0], "maxTokens", 1, 8192, f"{where}.levelConfigurations[0]")
    child = _bounded(levels[1], "maxTokens", 1, parent, f"{where}.levelConfigurations[1]")
    overlap = _bounded(config, "overlapTokens", 1, child - 1 if child > 1 else 1, where)
    return Chunking("HIERARCHICAL", child, overlap, parent)


def _section(config: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    section = config.get(key)
    if not isinstance(section, dict):
        raise ValidationError(f"{where}.{key} is required for chunkingStrategy {config.get('chunkingStrategy')}.")
    return section


def _bounded(config: Mapping[str, Any], key: str, low: int, high: int, where: str) -> int:
    value = config.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{where}.{key} must be a whole number from {low} to {high}; got {value!r}.")
    return value
