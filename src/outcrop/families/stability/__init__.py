"""Stability AI's image services and generators on Bedrock: one module per service, shared rules in `common.py`,
and `FAMILIES`, every service's WireFamily, for the registry."""

from __future__ import annotations

from outcrop.families.base import WireFamily
from outcrop.families.stability import (
    conservative_upscale,
    control_sketch,
    control_structure,
    creative_upscale,
    edit,
    fast_upscale,
    generate,
    style_guide,
    style_transfer,
)

FAMILIES: tuple[WireFamily, ...] = (
    *edit.FAMILIES,
    *generate.FAMILIES,
    control_sketch.FAMILY,
    control_structure.FAMILY,
    style_guide.FAMILY,
    style_transfer.FAMILY,
    fast_upscale.FAMILY,
    conservative_upscale.FAMILY,
    creative_upscale.FAMILY,
)
