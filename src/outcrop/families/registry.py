"""The one list of model families. Adding a family: its package under `outcrop.families`, its `Family` value in
the catalog, its models in `catalog/builtin/catalog.toml`, and one line here."""

from __future__ import annotations

from collections.abc import Mapping

from outcrop.catalog.model import Family
from outcrop.families import (
    amazon_image,
    cohere_embed,
    luma_ray,
    nova_embed,
    nova_reel,
    stability,
    text,
    titan_embed,
    titan_text_embed,
)
from outcrop.families.base import JobKind, WireFamily

_ALL: tuple[WireFamily, ...] = (
    *amazon_image.FAMILIES,
    titan_embed.FAMILY,
    nova_embed.FAMILY,
    *titan_text_embed.FAMILIES,
    *cohere_embed.FAMILIES,
    text.FAMILY,
    *nova_reel.FAMILIES,
    *stability.FAMILIES,
    luma_ray.FAMILY,
)

FAMILIES: Mapping[Family, WireFamily] = {family.family: family for family in _ALL}


def wire_family(family: Family) -> WireFamily:
    """The registered WireFamily of `family` (every Family value has one; a test checks it)."""
    return FAMILIES[family]


def async_families() -> tuple[Family, ...]:
    """Families that answer StartAsyncInvoke."""
    return tuple(job_kinds())


def job_kinds() -> dict[Family, JobKind]:
    """The job handler kind of each async family."""
    return {family: wire.job for family, wire in FAMILIES.items() if wire.job is not None}
