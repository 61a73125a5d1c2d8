"""Images/s and texts/s: Outcrop's clip backend (torch, ONNX fp32, ONNX int8) vs plain transformers, same weights.

    python bench/bench_embeddings.py [--batch 16] [--images 64] [--texts 256] [--threads 2] [--rounds 2]

No CLIP weights can be downloaded here, so what is measured is a ViT-B/32-sized CLIPModel (transformers'
CLIPConfig defaults: 224x224 images, 32x32 patches, 512-d projection) with random weights drawn from seed 0.
Throughput does not depend on the weight values. Its tokenizer is a byte-level BPE trained on the benchmark's own
captions (so common words are one token each, as in CLIP's vocabulary); the images are scikit-image's photos.
The model is saved to a temporary folder and both contenders load it from there.

The reference is transformers as its model card shows it: the processor, then `get_image_features` /
`get_text_features`, batch by batch. Outcrop's path is `ClipBackend.run_batch` on the same batches, which adds
token counting and checks, normalisation and the projection to a 1024-long output. Contenders alternate batch set
by batch set, so load from other work on the machine hits all alike; the best of `--rounds` is reported.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import skimage.data
import torch
from PIL import Image
from transformers import AutoImageProcessor, AutoTokenizer, CLIPConfig, CLIPImageProcessorPil, CLIPModel

from outcrop.backends.base import LoadSpec
from outcrop.backends.clip import ClipBackend, load
from outcrop.tasks.embed import EmbedTask

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "colorwheel")
ADJECTIVES = ("red", "small", "old", "shiny", "wooden", "striped", "happy", "broken", "tall", "blue", "empty", "wet")
NOUNS = ("dog", "cat", "bicycle", "car", "chair", "teapot", "guitar", "boat", "house", "tree", "robot", "cake")
PLACES = ("on a beach", "in a kitchen", "at night", "in the snow", "on a busy street", "next to a window")
Run = Callable[[list[Any]], object]


def captions(count: int) -> list[str]:
    combos = itertools.cycle(itertools.product(ADJECTIVES, NOUNS, PLACES))
    return [f"a photo of a {adjective} {noun} {place}" for adjective, noun, place in itertools.islice(combos, count)]


def photos(count: int) -> list[Image.Image]:
    images = [Image.fromarray(getattr(skimage.data, name)()).convert("RGB") for name in PHOTOS]
    return [images[i % len(images)] for i in range(count)]


def build_weights(folder: Path, texts: list[str]) -> None:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.normalizer = normalizers.Lowercase()
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    specials = ["<|startoftext|>", "<|endoftext|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=4096, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(texts, trainer=trainer)
    bpe.post_processor = processors.TemplateProcessing(
        single="<|startoftext|> $A <|endoftext|>", special_tokens=[(s, bpe.token_to_id(s)) for s in specials]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token=specials[0],
        eos_token=specials[1],
        pad_token=specials[1],
        model_max_length=77,
        model_input_names=["input_ids", "attention_mask"],
    )
    ids = {"bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = CLIPModel(CLIPConfig(text_config=ids)).eval()  # defaults = ViT-B/32
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    CLIPImageProcessorPil(size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}).save_pretrained(folder)


def transformers_runners(folder: Path) -> tuple[Run, Run]:
    model = CLIPModel.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    processor = AutoImageProcessor.from_pretrained(folder)

    def images(batch: list[Image.Image]) -> object:
        with torch.inference_mode():
            return model.get_image_features(**processor(images=batch, return_tensors="pt")).pooler_output

    def texts(batch: list[str]) -> object:
        with torch.inference_mode():
            return model.get_text_features(**tokenizer(batch, padding=True, return_tensors="pt")).pooler_output

    return images, texts


def outcrop_runners(backend: ClipBackend) -> tuple[Run, Run]:
    def images(batch: list[Image.Image]) -> object:
        return backend.run_batch([EmbedTask(text=None, image=image) for image in batch])

    def texts(batch: list[str]) -> object:
        return backend.run_batch([EmbedTask(text=text, image=None) for text in batch])

    return images, texts


def throughput(run: Run, items: list[Any], batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(items), batch):
        run(items[i : i + batch])
    return len(items) / (time.perf_counter() - start)


def agreement(backend: ClipBackend, reference: torch.Tensor, items: list[EmbedTask]) -> float:
    """Largest 1 - cosine between this backend's vectors and transformers' features put through the same space."""
    native = reference.numpy().astype(np.float64)
    expected = backend.space.project(native / np.linalg.norm(native, axis=1, keepdims=True), 1024)
    got = np.stack([result.vector for result in backend.run_batch(items)])
    return float(1 - np.min(np.sum(expected * got, axis=1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images, texts = photos(args.images), captions(args.texts)

    with tempfile.TemporaryDirectory(prefix="bench-clip-") as tmp:
        folder = Path(tmp)
        build_weights(folder, texts)
        tokens = np.mean([len(ids) for ids in AutoTokenizer.from_pretrained(folder)(texts)["input_ids"]])
        print(
            "Measuring a ViT-B/32-sized CLIPModel with RANDOM weights (CLIPConfig defaults, seed 0): throughput "
            "only, no quality.\n"
            f"batch {args.batch}, {args.images} images (scikit-image photos), {args.texts} captions "
            f"(mean {tokens:.1f} tokens), {args.threads} threads, best of {args.rounds} rounds"
        )
        contenders: dict[str, tuple[Run, Run]] = {"transformers (reference)": transformers_runners(folder)}
        backends: dict[str, ClipBackend] = {}
        for label, options in (
            ("outcrop torch fp32", {}),
            ("outcrop onnx fp32", {"runtime": "onnx"}),
            ("outcrop onnx int8", {"runtime": "onnx", "quantize": "int8"}),
        ):
            start = time.perf_counter()
            backends[label] = load(LoadSpec("bench-clip", folder, options=options, threads=args.threads))
            print(f"  loaded {label} in {time.perf_counter() - start:.1f} s (first load exports / computes the basis)")
            contenders[label] = outcrop_runners(backends[label])
        report(contenders, backends, images, texts, args)


def report(
    contenders: dict[str, tuple[Run, Run]],
    backends: dict[str, ClipBackend],
    images: list[Image.Image],
    texts: list[str],
    args: argparse.Namespace,
) -> None:
    for run_images, run_texts in contenders.values():  # warm-up: allocator and thread pools
        run_images(images[: args.batch])
        run_texts(texts[: args.batch])
    best: dict[str, list[float]] = {label: [0.0, 0.0] for label in contenders}
    for _ in range(args.rounds):
        for label, (run_images, run_texts) in contenders.items():
            best[label][0] = max(best[label][0], throughput(run_images, images, args.batch))
            best[label][1] = max(best[label][1], throughput(run_texts, texts, args.batch))

    reference_images, reference_texts = contenders["transformers (reference)"]
    sample_images, sample_texts = images[: args.batch], texts[: args.batch]
    image_features, text_features = reference_images(sample_images), reference_texts(sample_texts)
    base = best["transformers (reference)"]
    print(f"\n{'contender':<26}{'images/s':>10}{'ratio':>8}{'texts/s':>10}{'ratio':>8}{'max 1-cos vs ref':>20}")
    for label, (image_rate, text_rate) in best.items():
        deviation = ""
        if label in backends:
            backend = backends[label]
            image_dev = agreement(backend, image_features, [EmbedTask(None, image) for image in sample_images])
            text_dev = agreement(backend, text_features, [EmbedTask(text, None) for text in sample_texts])
            deviation = f"{max(image_dev, text_dev):.2e}"
        print(
            f"{label:<26}{image_rate:>10.2f}{image_rate / base[0]:>8.2f}"
            f"{text_rate:>10.1f}{text_rate / base[1]:>8.2f}{deviation:>20}"
        )


if __name__ == "__main__":
    main()
