"""The kinds of work Outcrop does, independent of the wire format that asked for it."""

from __future__ import annotations

from enum import StrEnum


class TaskKind(StrEnum):
    EMBED = "EMBED"
    TEXT_TO_IMAGE = "TEXT_TO_IMAGE"
    IMAGE_VARIATION = "IMAGE_VARIATION"
    INPAINT = "INPAINT"
    OUTPAINT = "OUTPAINT"
    COLOR_GUIDED = "COLOR_GUIDED"
    REMOVE_BACKGROUND = "REMOVE_BACKGROUND"
    VIRTUAL_TRY_ON = "VIRTUAL_TRY_ON"
    TEXT_TO_VIDEO = "TEXT_TO_VIDEO"
    CONVERSE = "CONVERSE"
