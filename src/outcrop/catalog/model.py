"""The catalog's data types: Bedrock model ids, the local weights that serve them, and how weights are fetched."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from outcrop.tasks import TaskKind


class Lifecycle(StrEnum):
    ACTIVE = "ACTIVE"
    LEGACY = "LEGACY"


class Family(StrEnum):
    """Which wire body a model id speaks (its InvokeModel / StartAsyncInvoke JSON)."""

    TITAN_EMBED_IMAGE = "titan-embed-image"
    TITAN_IMAGE_V1 = "titan-image-v1"
    TITAN_IMAGE_V2 = "titan-image-v2"
    NOVA_CANVAS = "nova-canvas"
    NOVA_REEL_V1_0 = "nova-reel-v1:0"
    NOVA_REEL_V1_1 = "nova-reel-v1:1"
    LUMA_RAY_V2 = "luma-ray-v2"
    NOVA_2_EMBED = "nova-2-embed"
    TITAN_EMBED_TEXT_V1 = "titan-embed-text-v1"
    TITAN_EMBED_TEXT_V2 = "titan-embed-text-v2"
    COHERE_EMBED_V3 = "cohere-embed-v3"
    COHERE_EMBED_V4 = "cohere-embed-v4"
    TEXT = "text"
    STABILITY_INPAINT = "stability-inpaint"
    STABILITY_OUTPAINT = "stability-outpaint"
    STABILITY_ERASE_OBJECT = "stability-erase-object"
    STABILITY_SEARCH_REPLACE = "stability-search-replace"
    STABILITY_SEARCH_RECOLOR = "stability-search-recolor"
    STABILITY_REMOVE_BACKGROUND = "stability-remove-background"
    STABILITY_IMAGE_ULTRA = "stability-image-ultra"
    STABILITY_IMAGE_CORE = "stability-image-core"
    STABILITY_SD3_5_LARGE = "stability-sd3-5-large"
    STABILITY_CONTROL_SKETCH = "stability-control-sketch"
    STABILITY_CONTROL_STRUCTURE = "stability-control-structure"
    STABILITY_STYLE_GUIDE = "stability-style-guide"
    STABILITY_STYLE_TRANSFER = "stability-style-transfer"
    STABILITY_FAST_UPSCALE = "stability-fast-upscale"
    STABILITY_CONSERVATIVE_UPSCALE = "stability-conservative-upscale"
    STABILITY_CREATIVE_UPSCALE = "stability-creative-upscale"


EMBEDDING_DIMENSIONS: dict[Family, tuple[int, ...]] = {
    Family.TITAN_EMBED_IMAGE: (256, 384, 1024),
    Family.NOVA_2_EMBED: (256, 384, 1024, 3072),
    Family.TITAN_EMBED_TEXT_V1: (1536,),
    Family.TITAN_EMBED_TEXT_V2: (256, 512, 1024),
    Family.COHERE_EMBED_V3: (1024,),
    Family.COHERE_EMBED_V4: (256, 512, 1024, 1536),
}
EMBEDDING_TEXT_TOKENS: dict[Family, int] = {  # the longest text each family embeds (Bedrock's documented limits)
    Family.TITAN_EMBED_IMAGE: 256,
    Family.NOVA_2_EMBED: 8192,
    Family.TITAN_EMBED_TEXT_V1: 8192,
    Family.TITAN_EMBED_TEXT_V2: 8192,
    Family.COHERE_EMBED_V3: 512,
    Family.COHERE_EMBED_V4: 128_000,
}


@dataclass(frozen=True)
class SourceSpec:
    """One place weights can come from: `kind` picks the fetcher, `params` are its arguments."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WeightsSpec:
    """A named set of weight files. `builtin` weights are built in code (tiny seeded models): always present."""

    name: str
    description: str
    license: str = ""
    files: tuple[str, ...] = ()
    sources: tuple[SourceSpec, ...] = ()
    builtin: bool = False
    size_mb: float | None = None


@dataclass(frozen=True)
class Binding:
    """Which backend, with which weights and options, serves one task kind of one model id."""

    backend: str
    weights: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelEntry:
    model_id: str
    name: str
    provider: str
    family: Family
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    lifecycle: Lifecycle = Lifecycle.ACTIVE
    end_of_life: str | None = None  # ISO date Bedrock stopped (or stops) serving the id; Outcrop keeps serving it
    # Per task, bindings in order of preference: the first whose weights are installed serves.
    bindings: Mapping[TaskKind, tuple[Binding, ...]] = field(default_factory=dict)
    streaming: bool = False
