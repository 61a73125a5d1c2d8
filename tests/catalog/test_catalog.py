"""The catalog: id resolution, profiles, the user's overlay, installed checks and atomic pulls."""

from __future__ import annotations

import json

import pytest

from outcrop.catalog import CatalogError, load_catalog
from outcrop.catalog.catalog import INSTALLED_MARKER
from outcrop.catalog.pull import PullError, pull, resolve_weights_name
from outcrop.errors import AccessDeniedError, ValidationError, WeightsMissingError
from outcrop.tasks import TaskKind


@pytest.fixture
def catalog(tmp_path):
    return load_catalog("default", tmp_path / "models")


@pytest.mark.parametrize(
    "identifier",
    [
        "amazon.nova-canvas-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0",
        "us.amazon.nova-canvas-v1:0",
        "arn:aws:bedrock:us-west-2:123456789012:inference-profile/eu.amazon.nova-canvas-v1:0",
    ],
)
def test_resolve_accepts_ids_arns_and_profiles(catalog, identifier):
    assert catalog.resolve(identifier).model_id == "amazon.nova-canvas-v1:0"


def test_unknown_model_has_bedrocks_message(catalog):
    with pytest.raises(ValidationError, match=r"^The provided model identifier is invalid\.$"):
        catalog.resolve("amazon.nova-canvas-v9:0")


def test_missing_weights_name_the_pull_command(catalog):
    entry = catalog.resolve("amazon.nova-canvas-v1:0")
    binding = catalog.binding(entry, TaskKind.REMOVE_BACKGROUND)
    with pytest.raises(WeightsMissingError, match="outcrop models pull isnet-general-medium"):
        catalog.require_installed(entry, binding)


def test_unbound_task_is_access_denied(catalog):
    entry = catalog.resolve("amazon.nova-canvas-v1:0")
    with pytest.raises(AccessDeniedError, match="No local model serves TEXT_TO_VIDEO"):
        catalog.binding(entry, TaskKind.TEXT_TO_VIDEO)


def test_profiles_differ(tmp_path):
    tiny = load_catalog("tiny", tmp_path)
    assert tiny.binding(tiny.resolve("amazon.nova-lite-v1:0"), TaskKind.CONVERSE).weights == "tiny-llm"
    assert tiny.installed("tiny-llm")
    with pytest.raises(CatalogError, match="unknown profile 'huge'"):
        load_catalog("huge", tmp_path)


def test_overlay_replaces_key_by_key(tmp_path):
    overlay = tmp_path / "catalog.toml"
    overlay.write_text(
        '[profiles.default.bindings."amazon.nova-canvas-v1:0"]\n'
        'REMOVE_BACKGROUND = { backend = "isnet", weights = "isnet-general-small" }\n'
    )
    catalog = load_catalog("default", tmp_path / "models", overlay)
    canvas = catalog.resolve("amazon.nova-canvas-v1:0")
    assert catalog.binding(canvas, TaskKind.REMOVE_BACKGROUND).weights == "isnet-general-small"
    titan = catalog.resolve("amazon.titan-image-generator-v2:0")
    assert catalog.binding(titan, TaskKind.REMOVE_BACKGROUND).weights == "isnet-general-medium"


def test_overlay_with_unknown_weights_fails_at_load(tmp_path):
    overlay = tmp_path / "catalog.toml"
    overlay.write_text(
        '[profiles.default.bindings."amazon.nova-canvas-v1:0"]\nREMOVE_BACKGROUND = { backend = "isnet", weights = "nope" }\n'
    )
    with pytest.raises(CatalogError, match="unknown weights 'nope'"):
        load_catalog("default", tmp_path / "models", overlay)


def _local_overlay(tmp_path, source_path):
    overlay = tmp_path / "catalog.toml"
    overlay.write_text(
        "[weights.demo]\n"
        'description = "demo"\nfiles = ["model.onnx"]\n'
        f'sources = [{{ kind = "local", path = "{tmp_path / "missing"}" }}, {{ kind = "local", path = "{source_path}" }}]\n'
    )
    return load_catalog("default", tmp_path / "models", overlay)


def test_pull_tries_sources_in_order_and_marks_install(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "model.onnx").write_bytes(b"weights")
    catalog = _local_overlay(tmp_path, source)
    assert not catalog.installed("demo")
    folder = pull(catalog, "demo", lambda _: None)
    assert folder is not None and (folder / "model.onnx").read_bytes() == b"weights"
    assert json.loads((folder / INSTALLED_MARKER).read_text())["source"]["kind"] == "local"
    assert catalog.installed("demo")


def test_failed_pull_leaves_nothing_behind(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "other.bin").write_bytes(b"x")  # delivers the wrong file
    catalog = _local_overlay(tmp_path, source)
    with pytest.raises(PullError, match=r"source delivered no model\.onnx"):
        pull(catalog, "demo", lambda _: None)
    assert not catalog.installed("demo")
    assert list((tmp_path / "models").iterdir()) == []


def test_pull_accepts_a_model_id(catalog):
    assert resolve_weights_name(catalog, "amazon.nova-micro-v1:0") == "smollm2-135m-instruct"
    with pytest.raises(PullError, match="known weights"):
        resolve_weights_name(catalog, "nothing")


def test_fallback_binding_serves_when_the_preferred_weights_are_missing(tmp_path):
    overlay = tmp_path / "catalog.toml"
    overlay.write_text(
        '[profiles.default.bindings."amazon.nova-canvas-v1:0"]\n'
        "REMOVE_BACKGROUND = [\n"
        '  { backend = "isnet", weights = "isnet-general-medium" },\n'
        '  { backend = "isnet", weights = "isnet-general-small" },\n'
        "]\n"
    )
    models = tmp_path / "models"
    catalog = load_catalog("default", models, overlay)
    canvas = catalog.resolve("amazon.nova-canvas-v1:0")
    assert catalog.binding(canvas, TaskKind.REMOVE_BACKGROUND).weights == "isnet-general-medium"
    with pytest.raises(WeightsMissingError, match="or: outcrop models pull isnet-general-small"):
        catalog.require_installed(canvas, catalog.binding(canvas, TaskKind.REMOVE_BACKGROUND))
    small = models / "isnet-general-small"
    small.mkdir(parents=True)
    (small / "model.onnx").write_bytes(b"x")
    (small / INSTALLED_MARKER).write_text("{}")
    assert catalog.binding(canvas, TaskKind.REMOVE_BACKGROUND).weights == "isnet-general-small"
