"""Offline image+text embeddings from an ImageNet classifier and a sentence encoder (ConSE).

ConSE (Norouzi et al., ICLR 2014, "Zero-Shot Learning by Convex Combination of Semantic Embeddings") places an
image in a text space without training anything: classify it, then take the probability-weighted sum of the text
embeddings of its top-T class names. Here the classifier is EfficientNet-Lite0 (`efficientnet_lite`) and the text
space is all-MiniLM-L6-v2 (`text_encoder`):

    image -> normalize(sum over the top-T ImageNet classes of p_i * text("a photo of a {label_i}"))
    text  -> text(query)
    text and image together -> the mean of the two unit vectors, renormalized

It ranks photos of things ImageNet names well, and is blind to what ImageNet lacks (no astronaut, galaxy or
microscopy class) and to attributes (a red and a blue motorcycle score the same).

Options (the catalog binding's `options`):
- `mode`: "conse" (default) embeds text and images in one space; "features" embeds images only, as the
  classifier's pooled penultimate features (1280-d), for image-to-image near-duplicate search.
- `top_t` (default 10): how many classes make an image vector; 5..1000 change little, 1 is clearly worse.
- `template` (default "a photo of a {}"): the sentence each class name is put in.

Output lengths go through one `EmbeddingSpace` per mode, so 256/384/1024/3072-d vectors share a space:
- conse: the principal axes of the 1000 class-name embeddings, the region where image vectors live.
- features: the identity, i.e. the network's own channel order; shorter outputs keep the first channels. Measured
  on 30 photos (10 of scikit-image's, each also resized+JPEG'd and cropped), Spearman agreement of all pairwise
  cosines with the 1024-d ones was 0.84 at 256-d and 0.85 at 384-d; a seeded random rotation gave 0.75 / 0.81
  and the principal axes of the classifier's own weights 0.57 / 0.59, so the identity was kept.

The weights folder (what `outcrop models pull` installs):
    efficientnet-lite0.pth            the classifier's state dict
    imagenet_synsets.txt              1000 WordNet ids in the classifier's class order (from timm)
    imagenet_synset_to_lemma.txt      WordNet id -> lemmas (from timm)
    minilm/                           the sentence-transformers folder of all-MiniLM-L6-v2
The 1000 class-name embeddings are computed at load and cached there as `label-embeddings-<hash>.npy` if the
folder is writable (else kept in memory only), keyed by the template and the labels.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from PIL.Image import Image

from outcrop.atomic_write import write_atomically
from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.backends.embedding_space import EmbeddingSpace, at_length, unit
from outcrop.backends.placement import module_bytes, place, torch_dtype
from outcrop.errors import ValidationError
from outcrop.tasks import EmbedTask, Task, TaskKind
from outcrop.tasks.embed import EmbedResult

if TYPE_CHECKING:
    import torch

    from outcrop.backends.efficientnet_lite import EfficientNetLite
    from outcrop.backends.text_encoder import TextEncoder

logger = logging.getLogger(__name__)

CLASSIFIER_FILE = "efficientnet-lite0.pth"
SYNSETS_FILE = "imagenet_synsets.txt"
LEMMAS_FILE = "imagenet_synset_to_lemma.txt"
TEXT_FOLDER = "minilm"
TITAN_TEXT_LIMIT = 256  # Titan Multimodal Embeddings' inputText limit, in tokens; MiniLM's window is the same

Vector = NDArray[np.float64]


class Mode(StrEnum):
    CONSE = "conse"
    FEATURES = "features"


@dataclass(frozen=True)
class ConseOptions:
    mode: Mode = Mode.CONSE
    top_t: int = 10
    template: str = "a photo of a {}"

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> ConseOptions:
        """The binding's options, checked; a mistake here is the catalog's, so it raises ValueError at load."""
        try:
            mode = Mode(str(options.get("mode", cls.mode)))
        except ValueError:
            modes = ", ".join(mode.value for mode in Mode)
            raise ValueError(f"conse option mode={options['mode']!r} is unknown; use one of {modes}.") from None
        top_t = int(options.get("top_t", cls.top_t))
        template = str(options.get("template", cls.template))
        if not 1 <= top_t <= 1000:
            raise ValueError(f"conse option top_t={top_t} must be between 1 and 1000 (ImageNet's classes).")
        if template.count("{}") != 1:
            raise ValueError(f"conse option template={template!r} must hold one '{{}}' for the class name.")
        return cls(mode, top_t, template)


def load(spec: LoadSpec) -> ConseBackend:
    """Load the classifier, and in conse mode the text encoder and the class-name embeddings."""
    options = ConseOptions.parse(spec.options)
    folder = _weights_folder(spec)  # before importing torch: a missing install is reported in milliseconds

    import torch

    from outcrop.backends.efficientnet_lite import FEATURE_DIM, load_lite0
    from outcrop.backends.text_encoder import load_text_encoder

    if spec.threads:
        torch.set_num_threads(spec.threads)
    classifier = place(load_lite0(folder / CLASSIFIER_FILE), spec)
    if options.mode is Mode.FEATURES:
        return ConseBackend(classifier, options, EmbeddingSpace.identity(FEATURE_DIM))
    text = load_text_encoder(folder / TEXT_FOLDER, spec.device, TITAN_TEXT_LIMIT, torch_dtype(spec))
    labels = label_embeddings(folder, text, read_labels(folder), options.template)
    return ConseBackend(classifier, options, EmbeddingSpace.from_reference(labels), text, labels)


def _weights_folder(spec: LoadSpec) -> Path:
    folder = spec.weights_dir
    needed = [CLASSIFIER_FILE, SYNSETS_FILE, LEMMAS_FILE, TEXT_FOLDER]
    missing = needed if folder is None else [name for name in needed if not (folder / name).exists()]
    if folder is None or missing:
        raise FileNotFoundError(
            f"ConSE weights '{spec.weights}' lack {', '.join(missing)} in {folder}; "
            f"install them with: outcrop models pull {spec.weights}"
        )
    return folder


def read_labels(folder: Path) -> list[str]:
    """ImageNet's class names in the classifier's order: each class's first WordNet lemma ("tabby", "espresso")."""
    synsets = (folder / SYNSETS_FILE).read_text("utf-8").split()
    lemmas: dict[str, str] = {}
    for line in (folder / LEMMAS_FILE).read_text("utf-8").splitlines():
        synset, _, names = line.partition("\t")
        lemmas[synset] = names.split(",")[0].strip()
    # The first lemma alone ranked better than all synonyms in one sentence (top-1 text->image 0.92 vs 0.83 on
    # 12 photos): "a photo of a tabby, tabby cat" reads as a list rather than a thing.
    return [lemmas[synset] for synset in synsets]


def label_embeddings(folder: Path, text: TextEncoder, labels: Sequence[str], template: str) -> NDArray[np.float32]:
    """The text embedding of every class name in `template`, from the cache in `folder` if one matches."""
    key = hashlib.sha256("\n".join([template, *labels]).encode("utf-8")).hexdigest()[:16]
    path = folder / f"label-embeddings-{key}.npy"
    cached = _read_cache(path, (len(labels), text.dimension))
    if cached is not None:
        return cached
    vectors = text.encode([template.format(label) for label in labels]).vectors
    _write_cache(path, vectors)
    return vectors


def _read_cache(path: Path, shape: tuple[int, int]) -> NDArray[np.float32] | None:
    if not path.is_file():
        return None
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        logger.warning("ignoring unreadable label-embedding cache %s: %s", path, error)
        return None
    if vectors.shape != shape or vectors.dtype != np.float32 or not np.isfinite(vectors).all():
        logger.warning("ignoring label-embedding cache %s: shape %s, expected %s", path, vectors.shape, shape)
        return None
    return vectors


def _write_cache(path: Path, vectors: NDArray[np.float32]) -> None:
    # Written beside the weights so that every later load (and every server process) skips ~10 s of encoding.
    # Installed weights may be read-only (a shared or system-wide models folder): then they stay in memory.
    try:
        write_atomically(path, lambda temp: np.save(temp, vectors), mode=0o644)
    except OSError as error:
        logger.info("label embeddings not cached (%s); they are recomputed at each load", error)


class ConseBackend:
    """A loaded ConSE model. The runtime never calls `run` or `run_batch` from two threads at once."""

    kinds = frozenset({TaskKind.EMBED})
    max_batch = 16

    def __init__(
        self,
        classifier: EfficientNetLite,
        options: ConseOptions,
        space: EmbeddingSpace,
        text: TextEncoder | None = None,
        labels: NDArray[np.float32] | None = None,
    ) -> None:
        self._classifier: EfficientNetLite | None = classifier
        self._options = options
        self._space = space
        self._text = text
        self._labels = labels

    def run(self, task: Task, progress: ProgressFn) -> EmbedResult:
        if not isinstance(task, EmbedTask):
            raise TypeError(f"ConSE only embeds; it was given a {task.kind} task.")
        result = self.run_batch([task])[0]
        progress(1.0)
        return result

    def run_batch(self, tasks: list[EmbedTask]) -> list[EmbedResult]:
        # 1. check every task up front, 2. encode all texts in one pass, 3. all images in one pass,
        # 4. combine each task's parts and project to the length it asked for.
        counts = [self._check(task) for task in tasks]
        texts = self._embed_texts([task.text for task in tasks])
        images = self._embed_images([task.image for task in tasks])
        return [self._result(*parts) for parts in zip(tasks, counts, texts, images, strict=True)]

    def close(self) -> None:
        self._classifier = None
        self._text = None
        self._labels = None

    def memory_bytes(self) -> int:
        """The classifier's and the text encoder's parameter and buffer bytes."""
        return module_bytes(self._classifier, self._text.model if self._text is not None else None)

    def _check(self, task: EmbedTask) -> int:
        """The task's text token count, after refusing what this model cannot embed."""
        if task.dimension < 1:
            raise ValidationError(f"The embedding length must be positive, got {task.dimension}.")
        if task.text is None:
            return 0
        if self._options.mode is Mode.FEATURES:
            raise ValidationError(
                "This model embeds images only (image-to-image similarity); send an image without text, "
                "or choose a model bound to text and image embeddings."
            )
        encoder = self._encoder()
        tokens = encoder.count_tokens([task.text])[0]
        if tokens > encoder.window and not task.truncate:
            raise ValidationError(
                f"The input text is {tokens} tokens long, but this model reads at most {encoder.window} tokens "
                f"(Titan Multimodal Embeddings' inputText limit is {TITAN_TEXT_LIMIT}; [CLS] and [SEP] count). "
                "Shorten the text, or allow truncation (Nova: truncationMode END)."
            )
        return min(tokens, encoder.window)

    def _encoder(self) -> TextEncoder:
        if self._text is None:
            raise RuntimeError("this ConSE backend was closed; load it again.")
        return self._text

    def _embed_texts(self, texts: list[str | None]) -> list[Vector | None]:
        present = [text for text in texts if text is not None]
        if not present:
            return [None] * len(texts)
        vectors = iter(self._encoder().encode(present).vectors.astype(np.float64))
        return [None if text is None else next(vectors) for text in texts]

    def _embed_images(self, images: Sequence[Image | None]) -> list[Vector | None]:
        present = [image for image in images if image is not None]
        if not present:
            return [None] * len(images)
        features = iter(self._image_vectors(present))
        return [None if image is None else next(features) for image in images]

    def _image_vectors(self, images: list[Image]) -> NDArray[np.float64]:
        import torch

        from outcrop.backends.efficientnet_lite import preprocess

        if self._classifier is None:
            raise RuntimeError("this ConSE backend was closed; load it again.")
        weights = next(self._classifier.parameters())
        device = weights.device
        # On CPU one image at a time is fastest (measured 25 ms/image alone, 42-60 ms in batches of 8-16, whose
        # feature maps overflow the caches) and makes an image's vector independent of what it was batched with.
        chunk = len(images) if device.type == "cuda" else 1
        pixels = torch.stack([preprocess(image) for image in images])
        with torch.inference_mode():
            batches = (pixels[i : i + chunk].to(device, weights.dtype) for i in range(0, len(images), chunk))
            rows = [self._chunk_vectors(batch) for batch in batches]
        return np.concatenate(rows)

    def _chunk_vectors(self, pixels: torch.Tensor) -> NDArray[np.float64]:
        """Native vectors of a few preprocessed images: their features, or their ConSE sums."""
        assert self._classifier is not None
        features = self._classifier.forward_features(pixels)
        if self._labels is None:
            return features.double().cpu().numpy()
        probabilities = self._classifier.classify(features).softmax(dim=-1).double().cpu().numpy()
        return np.stack([self._conse(row) for row in probabilities])

    def _conse(self, probabilities: NDArray[np.float64]) -> Vector:
        """The probability-weighted sum of the top-T class-name embeddings, as a unit vector."""
        assert self._labels is not None
        top = np.argsort(-probabilities, kind="stable")[: self._options.top_t]
        return unit(probabilities[top] @ self._labels[top].astype(np.float64))

    def _result(self, task: EmbedTask, tokens: int, text: Vector | None, image: Vector | None) -> EmbedResult:
        parts = [unit(part) for part in (text, image) if part is not None]
        native = unit(np.mean(parts, axis=0))
        full = self._space.rotate(native)
        return EmbedResult(vector=at_length(full, task.dimension), text_token_count=tokens, full=full)
