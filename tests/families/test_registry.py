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


STABILITY_IDS = (
    "stability.stable-image-inpaint-v1:0", "stability.stable-outpaint-v1:0", "stability.stable-image-erase-object-v1:0",
    "stability.stable-image-search-replace-v1:0", "stability.stable-image-search-recolor-v1:0",
    "stability.stable-image-remove-background-v1:0", "stability.stable-image-control-sketch-v1:0",
    "stability.stable-image-control-structure-v1:0", "stability.stable-image-style-guide-v1:0",
    "stability.stable-style-transfer-v1:0", "stability.stable-fast-upscale-v1:0",
    "stability.stable-conservative-upscale-v1:0", "stability.stable-creative-upscale-v1:0",
    "stability.stable-image-ultra-v1:0", "stability.stable-image-ultra-v1:1", "stability.stable-image-core-v1:0",
    "stability.stable-image-core-v1:1", "stability.sd3-5-large-v1:0",
)  # fmt: skip


@pytest.mark.parametrize("profile", ["tiny", "default"])
def test_every_stability_id_and_its_us_profile_is_served_on_invoke_model(tmp_path: Path, profile: str) -> None:
    """The wire tests invoke each id once (and one `us.` id per file); here every `us.` id resolves to its entry,
    whose family answers InvokeModel and whose tasks are bound in both profiles."""
    catalog = load_catalog(profile, tmp_path)
    for model_id in STABILITY_IDS:
        entry = catalog.resolve(f"us.{model_id}")
        assert entry is catalog.resolve(model_id), model_id
        assert FAMILIES[entry.family].parse_invoke is not None, model_id
        assert entry.bindings, f"{model_id} has no binding in profile {profile}"
