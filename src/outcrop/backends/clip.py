"""Image and text embeddings from a CLIP-family dual encoder (CLIP, SigLIP, ... as transformers loads them).

Where the weights come from, by LoadSpec:
- `weights_dir`: a transformers model folder (config, weights, tokenizer files, preprocessor_config.json).
- no `weights_dir` but `options["hub_id"]`: a Hugging Face Hub model, for users with internet access.
- neither: the built-in `tiny` model (`clip_tiny`), seeded noise through the same code path.

Every output length (Titan's 256/384/1024, Nova 2's up to 3072) comes from one EmbeddingSpace whose basis is the
principal axes of the model's text embeddings of `REFERENCE_PHRASES`; it is computed once with the torch towers
and cached as .npy next to the weights (or in `cache_dir`), so every runtime below shares it.

Options: `runtime` ("torch", the default, or "onnx": both towers exported once with torch.onnx and run by ONNX
Runtime), `quantize` ("int8": ONNX Runtime's dynamic quantization of the export; onnx runtime only), `dtype`
(torch runtime: float32, the default, bfloat16 or float16), `text_padding` ("longest" or "max_length"; SigLIP
models default to "max_length", as they were trained), `cache_dir` (where exports and the basis go when the
weights folder is read-only or absent).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage
from PIL.Image import Image

from outcrop.atomic_write import write_atomically
from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.backends.embedding_space import EmbeddingSpace, at_length, unit
from outcrop.backends.hf import quiet_transformers
from outcrop.backends.placement import file_bytes, module_bytes, ort_providers, place, torch_dtype
from outcrop.errors import ValidationError
from outcrop.tasks import TaskKind
from outcrop.tasks.embed import EmbedResult, EmbedTask
from outcrop.tasks.imaging import to_rgb

logger = logging.getLogger(__name__)

Inputs = dict[str, NDArray[Any]]
Tower = Callable[[Inputs], NDArray[np.float64]]

_OPSET = 17

# Common, concrete, photographable things (ImageNet-like labels plus everyday objects and scenes). Two templates
# give 884 phrases: more than the native width of CLIP ViT-B (512) or ViT-L (768), so every axis that a 256, 384 or
# 1024-long output keeps is a measured direction, not an arbitrary completion of the basis.
# Packed by hand (one word a line would be 300 lines); changing the list changes the basis file's name.
# fmt: off
_REFERENCE_NOUNS = [
    "cat", "dog", "horse", "cow", "sheep", "goat", "pig", "rabbit", "hamster", "mouse", "squirrel", "fox", "wolf",
    "bear", "panda", "koala", "kangaroo", "deer", "moose", "elephant", "giraffe", "zebra", "lion", "tiger", "leopard",
    "cheetah", "monkey", "gorilla", "camel", "llama", "bat", "hedgehog", "otter", "beaver", "seal", "whale",
    "dolphin", "shark", "goldfish", "salmon", "octopus", "jellyfish", "crab", "lobster", "shrimp", "snail",
    "butterfly", "bee", "ant", "spider", "beetle", "dragonfly", "ladybug", "frog", "turtle", "tortoise", "snake",
    "lizard", "crocodile", "chicken", "duck", "goose", "swan", "owl", "eagle", "parrot", "penguin", "flamingo",
    "peacock", "pigeon", "sparrow", "hummingbird", "apple", "banana", "orange", "lemon", "strawberry", "grape",
    "cherry", "pineapple", "mango", "watermelon", "peach", "pear", "kiwi", "tomato", "potato", "carrot", "onion",
    "garlic", "broccoli", "cabbage", "lettuce", "cucumber", "pepper", "corn", "mushroom", "pumpkin", "bread",
    "sandwich", "burger", "pizza", "pasta", "noodles", "rice", "sushi", "salad", "soup", "steak", "sausage", "egg",
    "cheese", "cake", "cookie", "donut", "pie", "chocolate", "ice-cream", "pancake", "croissant", "coffee", "tea",
    "juice", "wine", "beer", "milk", "water", "bottle", "cup", "mug", "glass", "plate", "bowl", "fork", "knife",
    "spoon", "chopsticks", "teapot", "kettle", "pan", "pot", "oven", "microwave", "refrigerator", "toaster",
    "blender", "dishwasher", "sink", "faucet", "table", "chair", "sofa", "bed", "pillow", "blanket", "lamp", "candle",
    "clock", "mirror", "curtain", "carpet", "bookshelf", "wardrobe", "desk", "cabinet", "door", "window", "stairs",
    "fireplace", "bathtub", "shower", "toilet", "towel", "soap", "toothbrush", "comb", "hairdryer", "shirt",
    "t-shirt", "dress", "skirt", "jeans", "trousers", "shorts", "jacket", "coat", "sweater", "hoodie", "suit", "tie",
    "scarf", "hat", "cap", "helmet", "glasses", "sunglasses", "watch", "necklace", "ring", "earrings", "bracelet",
    "handbag", "backpack", "wallet", "umbrella", "shoe", "boot", "sandal", "sneaker", "sock", "glove", "belt", "car",
    "truck", "bus", "van", "taxi", "motorcycle", "bicycle", "scooter", "skateboard", "train", "tram", "subway",
    "airplane", "helicopter", "rocket", "ship", "boat", "sailboat", "canoe", "kayak", "submarine", "tractor",
    "ambulance", "firetruck", "police-car", "traffic-light", "stop-sign", "bridge", "road", "highway", "street",
    "sidewalk", "parking-lot", "gas-station", "airport", "harbor", "lighthouse", "castle", "church", "temple",
    "mosque", "tower", "skyscraper", "house", "cabin", "barn", "tent", "fence", "garden", "park", "playground",
    "fountain", "statue", "monument", "museum", "library", "school", "hospital", "restaurant", "cafe", "bakery",
    "supermarket", "market", "shop", "office", "factory", "warehouse", "stadium", "beach", "ocean", "sea", "lake",
    "river", "waterfall", "mountain", "hill", "volcano", "valley", "canyon", "desert", "forest", "jungle", "meadow",
    "field", "farm", "island", "cave", "glacier", "snow", "rain", "storm", "lightning", "rainbow", "sunset",
    "sunrise", "cloud", "sky", "moon", "star", "galaxy", "planet", "tree", "flower", "rose", "tulip", "sunflower",
    "daisy", "cactus", "palm-tree", "leaf", "grass", "bush", "moss", "rock", "stone", "sand", "wave", "fire", "smoke",
    "ice", "phone", "smartphone", "laptop", "computer", "keyboard", "mouse-pad", "monitor", "television", "camera",
    "headphones", "microphone", "speaker", "radio", "printer", "tablet", "charger", "cable", "battery", "robot",
    "drone", "guitar", "piano", "violin", "drum", "trumpet", "flute", "saxophone", "harp", "book", "newspaper",
    "magazine", "notebook", "pencil", "pen", "marker", "paintbrush", "painting", "drawing", "photograph", "poster",
    "map", "globe", "calendar", "envelope", "letter", "package", "box", "basket", "bag", "suitcase", "key", "lock",
    "hammer", "screwdriver", "wrench", "saw", "drill", "ladder", "shovel", "rake", "bucket", "broom",
    "vacuum-cleaner", "sewing-machine", "scissors", "needle", "thread", "ball", "football", "basketball", "baseball",
    "tennis-racket", "golf-club", "surfboard", "ski", "snowboard", "kite", "balloon", "toy", "doll", "teddy-bear",
    "puzzle", "chess-board", "dice", "cards", "trophy", "medal", "flag", "crown", "sword", "shield", "baby", "child",
    "boy", "girl", "man", "woman", "family", "crowd", "chef", "doctor", "nurse", "firefighter", "soldier",
    "astronaut", "farmer", "teacher", "student", "athlete", "dancer",
]
# fmt: on
_TEMPLATES = ("a photo of a {}", "a drawing of a {}")
REFERENCE_PHRASES = tuple(
    template.format(noun.replace("-", " ")) for template in _TEMPLATES for noun in _REFERENCE_NOUNS
)


def load(spec: LoadSpec) -> ClipBackend:
    """Load the model `spec` names (see the module docstring for the ways) and its embedding space."""
    import torch

    quiet_transformers()
    runtime, quantize = _runtime_options(spec.options)
    if runtime == "onnx" and spec.dtype != "float32":
        # The device's default dtype (no dtype option: that was refused above) does not apply to the export.
        logger.info("runtime = 'onnx' exports float32 towers; dtype %s does not apply to %s", spec.dtype, spec.weights)
        spec = dataclasses.replace(spec, dtype="float32")
    if spec.threads:
        torch.set_num_threads(spec.threads)
    model, tokenizer, image_processor = _load_parts(spec)
    model = place(model, spec).eval()
    encoder = Preprocessor(tokenizer, image_processor, model, spec.options.get("text_padding"))
    torch_text, torch_image = _torch_towers(model, spec.device)
    store = _cache_dir(spec)
    space = _embedding_space(encoder, torch_text, store)
    if runtime == "torch":
        return ClipBackend(encoder, torch_text, torch_image, space, module_bytes(model))
    folder = store or Path(tempfile.gettempdir()) / "outcrop-clip" / _fingerprint(model)
    text, image = _onnx_towers(model, encoder, folder / "onnx", quantize, spec)
    onnx_files = folder.joinpath("onnx").glob("*-int8.onnx" if quantize else "*-fp32.onnx")
    return ClipBackend(encoder, text, image, space, file_bytes(*onnx_files))


def _runtime_options(options: Mapping[str, Any]) -> tuple[str, str | None]:
    runtime = str(options.get("runtime", "torch"))
    quantize = options.get("quantize")
    if runtime not in ("torch", "onnx"):
        raise ValueError(f"Unsupported runtime option {runtime!r} for a clip model; use 'torch' or 'onnx'.")
    if quantize not in (None, "int8") or (quantize and runtime != "onnx"):
        raise ValueError(f"Unsupported quantize option {quantize!r}; 'int8' works with runtime = 'onnx' only.")
    if runtime == "onnx" and options.get("dtype", "float32") != "float32":
        raise ValueError("runtime = 'onnx' exports float32 towers; leave dtype out or set it to 'float32'.")
    return runtime, quantize


def _load_parts(spec: LoadSpec) -> tuple[Any, Any, Any]:
    if spec.weights_dir is not None:
        if not spec.weights_dir.is_dir():
            raise FileNotFoundError(
                f"CLIP weights '{spec.weights}' are not installed at {spec.weights_dir}; "
                f"install them with: outcrop models pull {spec.weights}"
            )
        return _from_pretrained(str(spec.weights_dir), spec)
    hub_id = spec.options.get("hub_id")
    if hub_id:
        return _from_pretrained(str(hub_id), spec)
    from outcrop.backends import clip_tiny

    return clip_tiny.build()


def _from_pretrained(source: str, spec: LoadSpec) -> tuple[Any, Any, Any]:
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(source, dtype=torch_dtype(spec))
    if not hasattr(model, "get_text_features") or not hasattr(model, "get_image_features"):
        raise ValueError(f"{source} is a {type(model).__name__}, not an image+text dual encoder such as CLIPModel.")
    return model, AutoTokenizer.from_pretrained(source), AutoImageProcessor.from_pretrained(source)


def _cache_dir(spec: LoadSpec) -> Path | None:
    """Where derived files (basis, ONNX exports) live: `cache_dir`, else the weights folder if we may write there."""
    if spec.options.get("cache_dir"):
        # One cache folder may serve several models; each keeps its files apart.
        return Path(str(spec.options["cache_dir"])) / spec.weights
    if spec.weights_dir is not None and os.access(spec.weights_dir, os.W_OK):
        return spec.weights_dir
    return None


class Preprocessor:
    """Text and images -> the model's input arrays, with the length checks Titan's API promises."""

    def __init__(self, tokenizer: Any, image_processor: Any, model: Any, padding: str | None) -> None:
        self._tokenizer = tokenizer
        self._image_processor = image_processor
        text_config = model.config.text_config
        limit = int(getattr(tokenizer, "model_max_length", 0) or 0)
        # Tokenizers without a limit report a huge sentinel; the position table is the real bound.
        self.max_tokens = min(text_config.max_position_embeddings, limit if 0 < limit < 100_000 else 10**9)
        # SigLIP pools the last position and was trained on text padded to full length; CLIP pools the end marker.
        self._padding = padding or ("max_length" if model.config.model_type.startswith("siglip") else "longest")
        self.text_names = _accepted(model.get_text_features)
        self.image_names = _accepted(model.get_image_features)

    def token_counts(self, texts: list[str]) -> list[int]:
        """Tokens each text takes, start and end markers included, before any truncation."""
        encoded = self._tokenizer(texts, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def check(self, task: EmbedTask, tokens: int) -> None:
        if task.dimension < 1:
            raise ValidationError(f"The embedding length must be a positive number; {task.dimension} was asked for.")
        if task.max_tokens is not None and tokens > task.max_tokens:
            raise ValidationError(
                f"inputText is {tokens} tokens long, more than the {task.max_tokens} tokens this model accepts. "
                "Send shorter text."
            )
        if tokens > self.max_tokens and not task.truncate:
            raise ValidationError(
                f"inputText is {tokens} tokens long but this model reads at most {self.max_tokens}, and truncation "
                "is off. Send shorter text, or allow truncation to embed its first tokens only."
            )

    def texts(self, texts: list[str]) -> Inputs:
        encoded = self._tokenizer(
            texts, padding=self._padding, truncation=True, max_length=self.max_tokens, return_tensors="np"
        )
        return {name: np.asarray(encoded[name], dtype=np.int64) for name in encoded if name in self.text_names}

    def images(self, images: list[Image]) -> Inputs:
        encoded = self._image_processor(images=[to_rgb(image) for image in images], return_tensors="np")
        return {name: np.asarray(encoded[name]) for name in encoded if name in self.image_names}


def _accepted(method: Callable[..., Any]) -> frozenset[str]:
    return frozenset(inspect.signature(method).parameters)


def _features(output: Any) -> Any:
    # transformers 5 returns the projected vectors as `pooler_output`; 4.x returned the tensor itself.
    return getattr(output, "pooler_output", output)


def _torch_towers(model: Any, device: str) -> tuple[Tower, Tower]:
    import torch

    def run(method: Callable[..., Any]) -> Tower:
        def tower(inputs: Inputs) -> NDArray[np.float64]:
            tensors = {name: torch.from_numpy(array).to(device) for name, array in inputs.items()}
            if "pixel_values" in tensors:
                tensors["pixel_values"] = tensors["pixel_values"].to(model.dtype)
            with torch.inference_mode():
                features = _features(method(**tensors))
            return features.float().cpu().numpy().astype(np.float64)

        return tower

    return run(model.get_text_features), run(model.get_image_features)


def _embedding_space(encoder: Preprocessor, text: Tower, store: Path | None) -> EmbeddingSpace:
    digest = hashlib.sha256("\n".join(REFERENCE_PHRASES).encode()).hexdigest()[:12]
    path = store / f"embedding_basis-{digest}.npy" if store else None
    if path is not None and path.is_file():
        return EmbeddingSpace.load(path)
    phrases = list(REFERENCE_PHRASES)
    vectors = np.concatenate([unit(text(encoder.texts(phrases[i : i + 64]))) for i in range(0, len(phrases), 64)])
    space = EmbeddingSpace.from_reference(vectors)
    if path is not None:
        write_atomically(path, space.save)
    return space


def _fingerprint(model: Any) -> str:
    """A hash of every weight, naming export folders for models that have no folder of their own."""
    digest = hashlib.sha256(model.config.to_json_string().encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def _onnx_towers(
    model: Any, encoder: Preprocessor, folder: Path, quantize: str | None, spec: LoadSpec
) -> tuple[Tower, Tower]:
    sample_text = encoder.texts(["a photo of a cat on a sofa", "a dog"])  # unequal lengths: the padding path
    sample_image = encoder.images([PILImage.new("RGB", (64, 48), (128, 128, 128))] * 2)
    text = _onnx_tower(folder / "text-fp32.onnx", model.get_text_features, sample_text, quantize, spec)
    image = _onnx_tower(folder / "image-fp32.onnx", model.get_image_features, sample_image, quantize, spec)
    return text, image


def _onnx_tower(path: Path, method: Callable[..., Any], sample: Inputs, quantize: str | None, spec: LoadSpec) -> Tower:
    if not path.is_file():
        write_atomically(path, functools.partial(_export, method, sample))
    if quantize == "int8":
        path = _quantized(path)
    return _session_tower(path, spec)


def _tower_module(method: Callable[..., Any], names: list[str]) -> Any:
    """One encoder as a torch module with positional inputs, the shape torch.onnx.export traces."""
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = method.__self__  # type: ignore[attr-defined]  # registers the weights as parameters

        def forward(self, *arrays: Any) -> Any:
            return _features(method(**dict(zip(names, arrays, strict=True))))

    return Encoder().eval()


def _export(method: Callable[..., Any], sample: Inputs, path: Path) -> None:
    import torch

    names = list(sample)
    # Batch is dynamic everywhere; text length too. Image sizes stay fixed, as the processor fixes them.
    axes = {name: {0: "batch", 1: "sequence"} if array.ndim == 2 else {0: "batch"} for name, array in sample.items()}
    module = _tower_module(method, names)
    device = next(module.parameters()).device
    args = tuple(torch.from_numpy(array).to(device) for array in sample.values())
    with warnings.catch_warnings():
        # The tracer notes each Python-level shape check it freezes; for these towers they are constants
        # (sequence > 1, a mask given), and the deprecation of this exporter is known: the dynamo exporter
        # needs onnxscript, which is not installed here.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            args,
            str(path),
            dynamo=False,
            input_names=names,
            output_names=["embeds"],
            dynamic_axes={**axes, "embeds": {0: "batch"}},
            opset_version=_OPSET,
        )


def _quantized(fp32: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path = fp32.with_name(fp32.name.replace("-fp32", "-int8"))
    if not path.is_file():
        # Per-channel scales keep CLIP's outlier-heavy projections close to fp32. Unsigned weights: with
        # onnxruntime 1.31-1.32 and transformers 5 exports, signed per-channel weights drifted (min cosine to fp32
        # 0.947 on the tiny model) where unsigned ones stay at 0.9998.
        write_atomically(
            path, lambda target: quantize_dynamic(fp32, target, weight_type=QuantType.QUInt8, per_channel=True)
        )
    return path


def _session_tower(path: Path, spec: LoadSpec) -> Tower:
    import onnxruntime as ort

    options = ort.SessionOptions()
    if spec.threads:
        options.intra_op_num_threads = spec.threads
    providers = ort_providers(spec.device, ort.get_available_providers())
    session = ort.InferenceSession(str(path), sess_options=options, providers=providers)

    def tower(inputs: Inputs) -> NDArray[np.float64]:
        (embeds,) = session.run(["embeds"], inputs)
        return np.asarray(embeds, dtype=np.float64)

    return tower


class ClipBackend:
    """A loaded dual encoder. `run_batch` sends all images through the vision tower at once, all texts likewise."""

    kinds = frozenset({TaskKind.EMBED})
    max_batch = 16

    def __init__(self, encoder: Preprocessor, text: Tower, image: Tower, space: EmbeddingSpace, size: int = 0) -> None:
        self.encoder = encoder
        self.space = space
        self._size = size
        self._text: Tower | None = text
        self._image: Tower | None = image

    def run(self, task: EmbedTask, progress: ProgressFn) -> EmbedResult:
        (result,) = self.run_batch([task])
        progress(1.0)
        return result

    def run_batch(self, tasks: list[EmbedTask]) -> list[EmbedResult]:
        """One result per task, in order.

        Every task is checked before any model work: if one is invalid this raises its ValidationError at once,
        and the caller should run the tasks one by one so that only that request fails.
        """
        if self._text is None or self._image is None:
            raise RuntimeError("this CLIP backend was closed; load it again.")
        # 1. count tokens and check every task, 2. one pass per tower, 3. combine, project to each length.
        texts = [task.text for task in tasks if task.text is not None]
        counts = iter(self.encoder.token_counts(texts) if texts else [])
        tokens = [next(counts) if task.text is not None else 0 for task in tasks]
        for task, count in zip(tasks, tokens, strict=True):
            self.encoder.check(task, count)
        images = [task.image for task in tasks if task.image is not None]
        text_vectors = iter(unit(self._text(self.encoder.texts(texts))) if texts else ())
        image_vectors = iter(unit(self._image(self.encoder.images(images))) if images else ())
        results = []
        for task, count in zip(tasks, tokens, strict=True):
            parts = [next(text_vectors)] if task.text is not None else []
            parts += [next(image_vectors)] if task.image is not None else []
            # The mean of the two unit vectors; project() renormalises after rotating and cutting to length.
            native = np.mean(parts, axis=0)
            full = self.space.rotate(native)
            results.append(EmbedResult(vector=at_length(full, task.dimension), text_token_count=count, full=full))
        return results

    def close(self) -> None:
        self._text = None
        self._image = None

    def memory_bytes(self) -> int:
        """The torch model's parameter and buffer bytes, or the ONNX files' size for the onnx runtime."""
        return self._size
