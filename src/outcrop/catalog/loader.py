"""Read the catalog from the built-in TOML, overlaid by the user's $OUTCROP_HOME/catalog.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from outcrop.catalog.catalog import Catalog
from outcrop.catalog.model import Binding, Family, Lifecycle, ModelEntry, SourceSpec, WeightsSpec
from outcrop.tasks import TaskKind


class CatalogError(ValueError):
    """The catalog data is inconsistent; raised at startup with the offending key."""


def builtin_document() -> dict[str, Any]:
    text = resources.files("outcrop.catalog").joinpath("builtin/catalog.toml").read_text("utf-8")
    return tomllib.loads(text)


def load_catalog(profile: str, models_dir: Path, overlay: Path | None = None) -> Catalog:
    """Build the catalog for `profile`; user entries replace built-in ones key by key."""
    document = builtin_document()
    if overlay is not None and overlay.exists():
        try:
            document = merge(document, tomllib.loads(overlay.read_text("utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise CatalogError(f"{overlay}: {exc}") from exc
    profiles = document.get("profiles", {})
    if profile not in profiles:
        raise CatalogError(f"unknown profile '{profile}'; choose one of: {', '.join(sorted(profiles))}")
    weights = {name: _weights(name, raw) for name, raw in document.get("weights", {}).items()}
    bindings = profiles[profile].get("bindings", {})
    models = {mid: _model(mid, raw, bindings.get(mid, {}), weights) for mid, raw in document["models"].items()}
    unknown = set(bindings) - set(models)
    if unknown:
        raise CatalogError(f"profile '{profile}' binds unknown model ids: {', '.join(sorted(unknown))}")
    return Catalog(profile=profile, models=models, weights=weights, models_dir=models_dir)


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge tables; any non-table value in `over` replaces the one in `base`."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _weights(name: str, raw: Mapping[str, Any]) -> WeightsSpec:
    sources = tuple(
        SourceSpec(kind=s["kind"], params={k: v for k, v in s.items() if k != "kind"}) for s in raw.get("sources", ())
    )
    return WeightsSpec(
        name=name,
        description=raw.get("description", ""),
        license=raw.get("license", ""),
        files=tuple(raw.get("files", ())),
        sources=sources,
        builtin=bool(raw.get("builtin", False)),
        size_mb=raw.get("size_mb"),
    )


def _model(
    model_id: str, raw: Mapping[str, Any], bindings: Mapping[str, Any], weights: Mapping[str, WeightsSpec]
) -> ModelEntry:
    try:
        return ModelEntry(
            model_id=model_id,
            name=raw["name"],
            provider=raw.get("provider", "Amazon"),
            family=Family(raw["family"]),
            input_modalities=tuple(raw.get("input_modalities", ("TEXT",))),
            output_modalities=tuple(raw.get("output_modalities", ("TEXT",))),
            lifecycle=Lifecycle(raw.get("lifecycle", "ACTIVE")),
            end_of_life=_date(raw.get("end_of_life")),
            bindings={TaskKind(k): _choices(model_id, k, v, weights) for k, v in bindings.items()},
            streaming=bool(raw.get("streaming", False)),
        )
    except (KeyError, ValueError) as exc:
        raise CatalogError(f"model '{model_id}': {exc}") from exc


def _date(value: Any) -> str | None:
    """TOML dates arrive as datetime.date; strings must be ISO dates too."""
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    date.fromisoformat(text)  # raises ValueError (-> CatalogError) for anything else
    return text


def _choices(model_id: str, kind: str, raw: Any, weights: Mapping[str, WeightsSpec]) -> tuple[Binding, ...]:
    """One binding table, or a list of them in order of preference."""
    tables = raw if isinstance(raw, list) else [raw]
    if not tables:
        raise CatalogError(f"model '{model_id}' {kind}: an empty list of bindings")
    return tuple(_binding(model_id, kind, table, weights) for table in tables)


def _binding(model_id: str, kind: str, raw: Mapping[str, Any], weights: Mapping[str, WeightsSpec]) -> Binding:
    if raw.get("weights") not in weights:
        raise CatalogError(f"model '{model_id}' {kind}: unknown weights '{raw.get('weights')}'")
    return Binding(backend=raw["backend"], weights=raw["weights"], options=dict(raw.get("options", {})))
