"""Backend names used in the catalog, mapped to the module that implements them (imported on first load)."""

from __future__ import annotations

import importlib

from outcrop.backends.base import Backend, LoadSpec

BACKENDS: dict[str, str] = {
    "isnet": "outcrop.backends.isnet:load",
    "llm": "outcrop.backends.llm:load",
    "clip": "outcrop.backends.clip:load",
    "conse": "outcrop.backends.conse:load",
    "diffusion": "outcrop.backends.diffusion:load",
    "lama": "outcrop.backends.lama:load",
    "video": "outcrop.backends.video:load",
    "ltx_video": "outcrop.backends.ltx_video:load",
    "sentence": "outcrop.backends.sentence:load",
    "guided": "outcrop.backends.guided:load",
    "superres": "outcrop.backends.superres:load",
    "sd_upscale": "outcrop.backends.sd_upscale:load",
    "sd3": "outcrop.backends.sd3:load",
    "tryon": "outcrop.backends.tryon:load",
}


def known(name: str) -> bool:
    return name in BACKENDS


def load_backend(name: str, spec: LoadSpec) -> Backend:
    """Import the backend module for `name` and load it; heavy imports happen only here."""
    module_name, _, attr = BACKENDS[name].partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    backend: Backend = factory(spec)
    return backend
