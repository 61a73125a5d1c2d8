"""The kinds of work Outcrop does, independent of the wire format that asked for it."""

from __future__ import annotations

from enum import StrEnum


class TaskKind(StrEnum):
    EMBED = "EMBED"
    TEXT_TO_IMAGE = "TEXT_TO_IMAGE"
    IMAGE_VARIATION = "IMAGE_VARIATION"
    IMAGE_TO_IMAGE = "IMAGE_TO_IMAGE"
    INPAINT = "INPAINT"
    OUTPAINT = "OUTPAINT"
    EXTEND = "EXTEND"
    ERASE = "ERASE"
    COLOR_GUIDED = "COLOR_GUIDED"
    REMOVE_BACKGROUND = "REMOVE_BACKGROUND"
    VIRTUAL_TRY_ON = "VIRTUAL_TRY_ON"
    TEXT_TO_VIDEO = "TEXT_TO_VIDEO"
    CONVERSE = "CONVERSE"
    CONTROL_IMAGE = "CONTROL_IMAGE"
    STYLE_GUIDE = "STYLE_GUIDE"
    STYLE_TRANSFER = "STYLE_TRANSFER"
    UPSCALE = "UPSCALE"
