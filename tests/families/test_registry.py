"""The family registry is complete and consistent with the catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcrop.catalog import Family, load_catalog
from outcrop.families.base import JobKind, WireFamily
from outcrop.families.registry import FAMILIES, async_families, job_kinds


def test_every_family_is_registered_once() -> None:
    assert set(FAMILIES) == set(Family)


def test_every_catalog_model_has_a_wire_family(tmp_path: Path) -> None:
    catalog = load_catalog("tiny", tmp_path)
    for entry in catalog.models.values():
        wire = FAMILIES[entry.family]
        assert wire.parse_invoke is not None or wire.parse_async is not None, entry.model_id


def test_async_families_name_their_job_handler() -> None:
    assert set(async_families()) == {Family.NOVA_REEL_V1_0, Family.NOVA_REEL_V1_1, Family.NOVA_2_EMBED} | {
        family for family, wire in FAMILIES.items() if wire.job is JobKind.VIDEO
    }
    assert job_kinds()[Family.NOVA_2_EMBED] is JobKind.SEGMENTED_EMBEDDING


def test_a_parser_without_an_encoder_is_refused() -> None:
    with pytest.raises(ValueError, match="come together"):
        WireFamily(Family.TEXT, parse_invoke=lambda entry, body: None)  # type: ignore[arg-type,return-value]
