"""The loaded catalog: resolve Bedrock model identifiers and tell which weights are installed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from outcrop.catalog.model import Binding, ModelEntry, WeightsSpec
from outcrop.errors import AccessDeniedError, ValidationError, WeightsMissingError
from outcrop.tasks import TaskKind

_FOUNDATION_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:foundation-model/(?P<id>.+)$")
_PROFILE_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:inference-profile/(?P<id>.+)$")
_REGION_PREFIXES = ("us.", "eu.", "apac.", "global.", "us-gov.", "ca.", "jp.", "au.")
INSTALLED_MARKER = ".outcrop-weights.json"


@dataclass(frozen=True)
class Catalog:
    profile: str
    models: Mapping[str, ModelEntry]
    weights: Mapping[str, WeightsSpec]
    models_dir: Path

    def resolve(self, identifier: str) -> ModelEntry:
        """A model id, foundation-model ARN or inference-profile id/ARN -> its entry."""
        model_id = canonical_model_id(identifier)
        entry = self.models.get(model_id)
        if entry is None:
            raise ValidationError("The provided model identifier is invalid.")
        return entry

    def binding(self, entry: ModelEntry, kind: TaskKind) -> Binding:
        """The binding that serves (entry, kind): the first whose weights are installed, else the first."""
        choices = entry.bindings.get(kind)
        if not choices:
            raise AccessDeniedError(
                f"No local model serves {kind} for {entry.model_id} in the '{self.profile}' profile. "
                "Bind one in $OUTCROP_HOME/catalog.toml; `outcrop models list` shows what is bound."
            )
        return next((b for b in choices if self.installed(b.weights)), choices[0])

    def weights_dir(self, name: str) -> Path | None:
        """Where the weights live, or None for weights built in code."""
        return None if self.weights[name].builtin else self.models_dir / name

    def installed(self, name: str) -> bool:
        spec = self.weights[name]
        if spec.builtin:
            return True
        folder = self.models_dir / name
        return (folder / INSTALLED_MARKER).exists() and all((folder / f).exists() for f in spec.files)

    def require_installed(self, entry: ModelEntry, binding: Binding) -> None:
        if not self.installed(binding.weights):
            choices = next((bs for bs in entry.bindings.values() if binding in bs), (binding,))
            others = [b.weights for b in choices if b != binding]
            raise WeightsMissingError(entry.model_id, binding.weights, others)


def canonical_model_id(identifier: str) -> str:
    for pattern in (_FOUNDATION_ARN, _PROFILE_ARN):
        match = pattern.match(identifier)
        if match:
            identifier = match.group("id")
    for prefix in _REGION_PREFIXES:
        if identifier.startswith(prefix):
            return identifier[len(prefix) :]
    return identifier
