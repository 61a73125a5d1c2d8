"""The model catalog as data: Bedrock model ids -> backends and weights, per profile."""

from __future__ import annotations

from outcrop.catalog.catalog import Catalog, canonical_model_id
from outcrop.catalog.loader import CatalogError, load_catalog
from outcrop.catalog.model import Binding, Family, Lifecycle, ModelEntry, WeightsSpec

__all__ = [
    "Binding",
    "Catalog",
    "CatalogError",
    "Family",
    "Lifecycle",
    "ModelEntry",
    "WeightsSpec",
    "canonical_model_id",
    "load_catalog",
]
