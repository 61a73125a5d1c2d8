"""Input and output content filters with Bedrock's exact RAI messages.

Text is checked against configured whole-word phrases (built-in file overlaid by $OUTCROP_HOME/safety.toml, per
model id or "*"). Images are checked by pluggable classifiers; none ships, because the only NSFW model we have
(nsfwjs) is TF.js-only. A blocked input raises ValidationError (HTTP 400), as Bedrock does; blocked outputs are
dropped and counted, since Nova Canvas answers 200 with an "error" field for them.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from PIL.Image import Image

from outcrop.errors import ValidationError
from outcrop.tasks import (
    ColorGuidedTask,
    ControlImageTask,
    ConverseTask,
    EmbedBatchTask,
    EmbedTask,
    EraseTask,
    ExtendTask,
    ImageToImageTask,
    ImageVariationTask,
    InpaintTask,
    OutpaintTask,
    RemoveBackgroundTask,
    StyleGuideTask,
    StyleTransferTask,
    Task,
    TextToImageTask,
    TextToVideoTask,
    UpscaleTask,
    VirtualTryOnTask,
)

TEXT_BLOCKED = (
    "This request has been blocked by our content filters. Please adjust your text prompt to submit a new request."
)
IMAGE_BLOCKED = (
    "This request has been blocked by our content filters. Please adjust your input image to submit a new request."
)
ANY_MODEL = "*"
USER_FILE = "safety.toml"

# Digits and symbols commonly swapped for letters; applied to prompts and terms alike so both sides agree.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_NON_WORD = re.compile(r"[\W_]+")
# Runs of single letters ("m i c k e y", from "M.I.C.K.E.Y") are joined back into one word.
_SPELLED = re.compile(r"\b\w(?: \w\b)+")


class ImageClassifier(Protocol):
    """A plug-in that flags unacceptable images (e.g. an NSFW model); it must be safe to call from threads."""

    def flagged(self, image: Image) -> bool: ...


def normalise(text: str, leetspeak: bool = True) -> str:
    """Lower-case words separated by single spaces, with compatibility forms, accents and leetspeak folded."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in decomposed if not unicodedata.combining(c))  # "Pokémon" -> "pokemon"
    if leetspeak:
        # A symbol only counts as a letter when a word follows it: "Mouse!" must keep "!" as punctuation.
        text = re.sub(r"[!@$](?=\w)|\d", lambda m: m.group().translate(_LEET), text)
    words = _NON_WORD.sub(" ", text).strip()
    return _SPELLED.sub(lambda m: m.group().replace(" ", ""), words)


@dataclass(frozen=True)
class ModelRules:
    """One `[rules."<model id>"]` table; None means "inherit from `*`"."""

    enabled: bool | None = None
    blocked: frozenset[str] = frozenset()
    allowed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FilterRules:
    rules: Mapping[str, ModelRules] = field(default_factory=dict)
    check_negative: bool = True
    leetspeak: bool = True

    @classmethod
    def load(cls, *paths: Path) -> FilterRules:
        """The built-in rules overlaid by each existing file in order (missing files are skipped)."""
        text = resources.files("outcrop.safety").joinpath("builtin/filters.toml").read_text("utf-8")
        rules = cls.from_document(tomllib.loads(text))
        for path in paths:
            if path.is_file():
                rules = rules.overlay(cls.from_document(_read(path)))
        return rules

    @classmethod
    def for_home(cls, home: Path) -> FilterRules:
        return cls.load(home / USER_FILE)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> FilterRules:
        leetspeak = bool(document.get("leetspeak", True))
        tables = document.get("rules", {})
        rules = {model_id: _model_rules(model_id, table, leetspeak) for model_id, table in tables.items()}
        return cls(rules=rules, check_negative=bool(document.get("check_negative", True)), leetspeak=leetspeak)

    def overlay(self, other: FilterRules) -> FilterRules:
        """`other` on top: its `blocked` adds, its `allowed` removes, its `enabled` wins where set."""
        merged = dict(self.rules)
        for model_id, top in other.rules.items():
            base = merged.get(model_id, ModelRules())
            merged[model_id] = ModelRules(
                enabled=base.enabled if top.enabled is None else top.enabled,
                blocked=(base.blocked - top.allowed) | top.blocked,
                allowed=(base.allowed - top.blocked) | top.allowed,
            )
        return FilterRules(rules=merged, check_negative=other.check_negative, leetspeak=other.leetspeak)

    def enabled(self, model_id: str) -> bool:
        own = self.rules.get(model_id, ModelRules()).enabled
        default = self.rules.get(ANY_MODEL, ModelRules()).enabled
        return next((flag for flag in (own, default) if flag is not None), True)

    def blocked_terms(self, model_id: str) -> frozenset[str]:
        if not self.enabled(model_id):
            return frozenset()
        everyone = self.rules.get(ANY_MODEL, ModelRules())
        own = self.rules.get(model_id, ModelRules())
        return ((everyone.blocked - own.allowed) | own.blocked) - (everyone.allowed - own.blocked)

    def first_hit(self, model_id: str, texts: Iterable[str]) -> str | None:
        """The first blocked term found (for the audit log; never shown to the caller), or None."""
        terms = self.blocked_terms(model_id)
        if not terms:
            return None
        for text in texts:
            padded = f" {normalise(text, self.leetspeak)} "
            for term in terms:
                # Whole words only ("disneyland" is not "disney"); the joined form of a phrase also catches
                # "MickeyMouse" and "spiderman" for "spider-man" without matching inside longer words.
                if f" {term} " in padded or (" " in term and f" {term.replace(' ', '')} " in padded):
                    return term
        return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the safety rules ({exc}); fix or remove the file.") from exc


def _model_rules(model_id: str, table: Mapping[str, Any], leetspeak: bool) -> ModelRules:
    unknown = set(table) - {"enabled", "blocked", "allowed"}
    if unknown:
        raise ValueError(f'rules."{model_id}": unknown keys {sorted(unknown)}; use enabled, blocked, allowed.')
    enabled = table.get("enabled")
    return ModelRules(
        enabled=None if enabled is None else bool(enabled),
        blocked=_terms(table.get("blocked", []), leetspeak),
        allowed=_terms(table.get("allowed", []), leetspeak),
    )


def _terms(values: Iterable[str], leetspeak: bool) -> frozenset[str]:
    return frozenset(term for term in (normalise(str(v), leetspeak) for v in values) if term)


@dataclass(frozen=True)
class ContentFilter:
    """The request path's view of safety: text rules plus optional image classifiers for inputs and outputs."""

    rules: FilterRules = field(default_factory=FilterRules)
    input_classifiers: Sequence[ImageClassifier] = ()
    output_classifiers: Sequence[ImageClassifier] = ()

    def check_text(self, model_id: str, texts: Iterable[str]) -> None:
        if self.rules.first_hit(model_id, texts) is not None:
            raise ValidationError(TEXT_BLOCKED)

    def check_images(self, model_id: str, images: Iterable[Image]) -> None:
        if not self.rules.enabled(model_id):
            return
        for image in images:
            if any(classifier.flagged(image) for classifier in self.input_classifiers):
                raise ValidationError(IMAGE_BLOCKED)

    def check_task(self, model_id: str, task: Task) -> None:
        """Every input filter for one request; call before the task reaches the executor."""
        self.check_text(model_id, texts_of(task, negative=self.rules.check_negative))
        self.check_images(model_id, images_of(task))

    def filter_outputs(self, model_id: str, images: Sequence[Image]) -> tuple[list[Image], int]:
        """(kept images, how many were withheld); with no output classifier every image is kept."""
        if not self.rules.enabled(model_id) or not self.output_classifiers:
            return list(images), 0
        kept = [im for im in images if not any(c.flagged(im) for c in self.output_classifiers)]
        return kept, len(images) - len(kept)


def texts_of(task: Task, negative: bool = True) -> list[str]:
    """The caller's text inside a task: prompts, negative prompts (if `negative`), mask prompts, shot texts.

    Embedding text is not included: Bedrock's embedding models have no RAI input filter, and indexing a
    document that names a character is not generating it.
    """
    texts: list[str | None] = []
    if isinstance(task, TextToImageTask | ImageVariationTask | ColorGuidedTask | InpaintTask | OutpaintTask):
        texts.append(task.prompt)
        if negative:
            texts.append(task.negative_prompt)
    if isinstance(task, InpaintTask | OutpaintTask | VirtualTryOnTask):
        texts.append(task.mask_prompt)
    if isinstance(task, ExtendTask):
        texts.extend((task.prompt, task.negative_prompt if negative else None))
    if isinstance(task, ImageToImageTask):
        texts.extend((task.prompt, task.negative_prompt if negative else None))
    if isinstance(task, ControlImageTask | StyleGuideTask | StyleTransferTask | UpscaleTask):
        texts.extend((task.prompt, task.negative_prompt if negative else None))
    if isinstance(task, TextToVideoTask):
        texts.extend(shot.prompt for shot in task.shots)
    if isinstance(task, ConverseTask):
        texts.extend(task.system)
        texts.extend(message.text for message in task.messages)
    return [text for text in texts if text]


def images_of(task: Task) -> list[Image]:
    """The caller's images inside a task (masks excluded: they are black and white, nothing to classify)."""
    found: list[Image | None] = []
    if isinstance(task, ImageVariationTask):
        found.extend(task.images)
    if isinstance(task, InpaintTask | OutpaintTask | ImageToImageTask):
        found.append(task.image)
    if isinstance(task, TextToImageTask) and task.conditioning is not None:
        found.append(task.conditioning.image)
    if isinstance(task, ColorGuidedTask):
        found.append(task.reference_image)
    if isinstance(task, VirtualTryOnTask):
        found.extend((task.source_image, task.reference_image))
    if isinstance(task, TextToVideoTask):
        found.extend(image for shot in task.shots for image in (shot.image, shot.end_image))
    if isinstance(task, ControlImageTask | StyleGuideTask | UpscaleTask):
        found.append(task.image)
    if isinstance(task, StyleTransferTask):
        found.extend((task.init_image, task.style_image))
    if isinstance(task, ConverseTask):
        found.extend(image for message in task.messages for image in message.images)
    if isinstance(task, RemoveBackgroundTask | EmbedTask | ExtendTask | EraseTask):
        found.append(task.image)
    if isinstance(task, EmbedBatchTask):
        found.extend(inner.image for inner in task.tasks)
    return [image for image in found if image is not None]
