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
    "video": "outcrop.backends.video:load",
    "sentence": "outcrop.backends.sentence:load",
}


def known(name: str) -> bool:
    return name in BACKENDS


def load_backend(name: str, spec: LoadSpec) -> Backend:
    """Import the backend module for `name` and load it; heavy imports happen only here."""
    module_name, _, attr = BACKENDS[name].partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    backend: Backend = factory(spec)
    return backend
