"""A chat turn: system prompts and alternating messages in, one assistant message out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from PIL.Image import Image

from outcrop.tasks.kinds import TaskKind


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class StopReason(StrEnum):
    END_TURN = "end_turn"
    MAX_TOKENS = "max_tokens"
    STOP_SEQUENCE = "stop_sequence"
    CONTENT_FILTERED = "content_filtered"


@dataclass(frozen=True)
class Message:
    role: Role
    text: str
    images: tuple[Image, ...] = ()


@dataclass(frozen=True)
class InferenceConfig:
    max_tokens: int = 512
    temperature: float = 0.7
    top_p: float = 0.9
    stop_sequences: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConverseTask:
    messages: tuple[Message, ...]
    system: tuple[str, ...] = ()
    inference: InferenceConfig = field(default_factory=InferenceConfig)
    seed: int = 0
    kind: TaskKind = TaskKind.CONVERSE


@dataclass(frozen=True)
class ConverseResult:
    text: str
    stop_reason: StopReason
    input_tokens: int
    output_tokens: int
