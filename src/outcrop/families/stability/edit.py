"""Stability AI's edit services, one family each: inpaint, outpaint, erase object, search and replace, search and
recolor, remove background."""

from __future__ import annotations

from outcrop.families.stability import erase, inpaint, outpaint, remove_background, search_recolor, search_replace

FAMILIES = (
    inpaint.FAMILY,
    outpaint.FAMILY,
    erase.FAMILY,
    search_replace.FAMILY,
    search_recolor.FAMILY,
    remove_background.FAMILY,
)
