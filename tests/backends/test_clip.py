"""The clip backend on the tiny seeded CLIP: lengths, determinism, batching, limits, ONNX, and loading from a folder.

The tiny model's vectors are noise; these tests check the code path, not embedding quality. They pin one torch
thread: on a shared 2-core machine, two OpenMP threads make a toy model's matmuls ~50x slower, and one thread also
makes every run's arithmetic identical.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from outcrop.backends import clip_tiny
from outcrop.backends.base import LoadSpec, no_progress
from outcrop.backends.clip import ClipBackend, load
from outcrop.errors import ValidationError
from outcrop.tasks.embed import EmbedTask

LENGTHS = (256, 384, 1024, 3072)
# 20 words: ~90 tokens with the tiny tokenizer, more than CLIP's 77 positions and less than Titan's 256.
LONG_TEXT = "the quick brown fox jumps over the lazy dog near a red barn in the golden evening light " * 2
HUGE_TEXT = "zebra " * 300


def tiny_spec(**options) -> LoadSpec:
    return LoadSpec(weights="tiny-clip", weights_dir=None, options=options, threads=1)


def photo(seed: int = 0, size: tuple[int, int] = (48, 40)) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def tiny() -> ClipBackend:
    return load(tiny_spec())


@pytest.mark.parametrize("length", LENGTHS)
def test_every_length_is_a_unit_vector_for_text_image_and_both(tiny, length):
    for task in (
        EmbedTask(text="a cat", image=None, dimension=length),
        EmbedTask(text=None, image=photo(), dimension=length),
        EmbedTask(text="a cat", image=photo(), dimension=length),
    ):
        vector = tiny.run(task, no_progress).vector
        assert vector.shape == (length,)
        assert vector.dtype == np.float32
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_shorter_lengths_are_the_leading_axes_of_one_space(tiny):
    native = tiny.run(EmbedTask(text="a dog", image=None, dimension=32), no_progress).vector
    short = tiny.run(EmbedTask(text="a dog", image=None, dimension=16), no_progress).vector
    np.testing.assert_allclose(short, native[:16] / np.linalg.norm(native[:16]), atol=1e-6)


def test_longer_lengths_spread_the_native_vector_without_zeros(tiny):
    # The tiny model is 32-d: a 1024-d vector holds the same information, on every axis, with every cosine kept.
    tasks = [EmbedTask(text=text, image=None, dimension=length) for text in ("a dog", "a cat") for length in (32, 1024)]
    dog, dog_1024, cat, cat_1024 = (tiny.run(task, no_progress).vector for task in tasks)
    assert np.count_nonzero(dog_1024[32:]) == 1024 - 32
    assert float(dog_1024 @ cat_1024) == pytest.approx(float(dog @ cat), abs=1e-6)


def test_same_input_gives_the_same_vector_even_after_a_fresh_load(tiny):
    task = EmbedTask(text="a red bicycle", image=photo(3), dimension=384)
    first = tiny.run(task, no_progress).vector
    assert np.array_equal(first, tiny.run(task, no_progress).vector)
    assert np.array_equal(first, load(tiny_spec()).run(task, no_progress).vector)


def _digest(backend: ClipBackend) -> str:
    tasks = [EmbedTask(text="a red bicycle", image=None), EmbedTask(text=None, image=photo(3))]
    return hashlib.sha256(b"".join(r.vector.tobytes() for r in backend.run_batch(tasks))).hexdigest()


def test_a_fresh_process_gives_the_same_vectors(tiny):
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import test_clip as t; from outcrop.backends.clip import load; "
        "print(t._digest(load(t.tiny_spec())))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == _digest(tiny)


def test_a_batch_gives_what_single_runs_give(tiny):
    tasks = [
        EmbedTask(text="a cat", image=None, dimension=256),
        EmbedTask(text=None, image=photo(1), dimension=1024),
        EmbedTask(text="a much longer caption about a dog running on a wide sandy beach", image=photo(2)),
        EmbedTask(text=None, image=photo(4, (20, 90)), dimension=3072),
        EmbedTask(text="sunset", image=None, dimension=384),
    ]
    batched = tiny.run_batch(tasks)
    assert len(batched) == len(tasks)
    for task, result in zip(tasks, batched, strict=True):
        single = tiny.run(task, no_progress)
        assert result.text_token_count == single.text_token_count
        np.testing.assert_allclose(result.vector, single.vector, atol=1e-5)


def test_text_and_image_together_is_the_renormalised_mean(tiny):
    image = photo(5)
    text_only = tiny.run(EmbedTask(text="a lighthouse", image=None), no_progress).vector
    image_only = tiny.run(EmbedTask(text=None, image=image), no_progress).vector
    both = tiny.run(EmbedTask(text="a lighthouse", image=image), no_progress)
    # At a length >= the native width nothing is cut, so the combined vector is the normalised sum.
    expected = (text_only + image_only) / np.linalg.norm(text_only + image_only)
    np.testing.assert_allclose(both.vector, expected, atol=1e-6)
    assert both.text_token_count > 0


def test_token_counts_include_the_start_and_end_markers(tiny):
    tokenizer = clip_tiny.build_tokenizer()
    for text in ("a cat", "A photo of a dog on the beach!", "北京 ünïcode"):
        expected = len(tokenizer(text)["input_ids"])
        assert tiny.run(EmbedTask(text=text, image=None), no_progress).text_token_count == expected
    assert tokenizer("a cat")["input_ids"][0] == tokenizer.bos_token_id
    assert tiny.run(EmbedTask(text=None, image=photo()), no_progress).text_token_count == 0


def test_text_past_the_model_positions_is_truncated_and_counted_in_full(tiny):
    result = tiny.run(EmbedTask(text=LONG_TEXT, image=None), no_progress)
    assert tiny.encoder.max_tokens < result.text_token_count <= 256
    # Truncation keeps the first tokens: words added past the cut change nothing.
    longer = tiny.run(EmbedTask(text=LONG_TEXT + " and a purple elephant", image=None), no_progress)
    np.testing.assert_array_equal(result.vector, longer.vector)


def test_text_past_the_model_positions_without_truncation_is_refused(tiny):
    with pytest.raises(ValidationError, match=r"at most 77.*truncation is off"):
        tiny.run(EmbedTask(text=LONG_TEXT, image=None, truncate=False), no_progress)


def test_text_over_the_apis_limit_is_refused_even_with_truncation(tiny):
    """Titan Multimodal's 256-token limit travels on the task (max_tokens); Nova 2's 8K tokens are truncated to the
    model's window instead."""
    with pytest.raises(ValidationError, match=r"tokens long, more than the 256 tokens"):
        tiny.run(EmbedTask(text=HUGE_TEXT, image=None, truncate=True, max_tokens=256), no_progress)
    assert tiny.run(EmbedTask(text=HUGE_TEXT, image=None, truncate=True, max_tokens=8192), no_progress).vector.any()


def test_one_invalid_task_fails_the_batch_before_any_model_work(tiny):
    tasks = [EmbedTask(text="fine", image=None), EmbedTask(text=HUGE_TEXT, image=None, max_tokens=256)]
    with pytest.raises(ValidationError):
        tiny.run_batch(tasks)


def test_image_modes_are_converted(tiny):
    rgb = photo(6)
    opaque = rgb.convert("RGBA")
    assert np.array_equal(
        tiny.run(EmbedTask(None, rgb), no_progress).vector, tiny.run(EmbedTask(None, opaque), no_progress).vector
    )
    for image in (rgb.convert("L"), rgb.convert("P"), Image.new("I;16", (40, 30), 40000)):
        assert tiny.run(EmbedTask(None, image), no_progress).vector.shape == (1024,)


def test_progress_ends_at_one(tiny):
    seen: list[float] = []
    tiny.run(EmbedTask(text="a cat", image=None), seen.append)
    assert seen[-1] == 1.0


def test_a_closed_backend_refuses_work():
    backend = load(tiny_spec())
    backend.close()
    with pytest.raises(RuntimeError, match="closed"):
        backend.run(EmbedTask(text="a cat", image=None), no_progress)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"runtime": "tensorrt"}, "runtime"),
        ({"quantize": "int8"}, "quantize"),
        ({"runtime": "onnx", "quantize": "int4"}, "quantize"),
        ({"runtime": "onnx", "dtype": "bfloat16"}, "float32"),
    ],
)
def test_unknown_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        load(tiny_spec(**options))


def test_missing_weights_folder_says_how_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match="outcrop models pull clip-vit-b32"):
        load(LoadSpec(weights="clip-vit-b32", weights_dir=tmp_path / "absent"))


MIXED = [
    EmbedTask(text="a photo of a cat on a sofa", image=None),
    EmbedTask(text="sunset", image=None, dimension=256),
    EmbedTask(text=None, image=photo(7)),
    EmbedTask(text=None, image=photo(8, (30, 70)), dimension=384),
    EmbedTask(text="a dog", image=photo(9)),
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clip-onnx")


def test_onnx_fp32_matches_torch(tiny, onnx_cache):
    onnx = load(tiny_spec(runtime="onnx", cache_dir=str(onnx_cache)))
    exported = sorted(path.name for path in (onnx_cache / "tiny-clip" / "onnx").iterdir())
    assert exported == ["image-fp32.onnx", "text-fp32.onnx"]
    for torch_result, onnx_result in zip(tiny.run_batch(MIXED), onnx.run_batch(MIXED), strict=True):
        # Measured: cosine 1 - 1e-7 or closer; only float summation order differs.
        assert cosine(torch_result.vector, onnx_result.vector) > 0.999999
        assert torch_result.text_token_count == onnx_result.text_token_count
    # The export is made once and reused by the next load.
    stamp = (onnx_cache / "tiny-clip" / "onnx" / "text-fp32.onnx").stat().st_mtime_ns
    load(tiny_spec(runtime="onnx", cache_dir=str(onnx_cache)))
    assert (onnx_cache / "tiny-clip" / "onnx" / "text-fp32.onnx").stat().st_mtime_ns == stamp


def test_onnx_int8_runs_and_stays_close(tiny, onnx_cache):
    int8 = load(tiny_spec(runtime="onnx", quantize="int8", cache_dir=str(onnx_cache)))
    assert (onnx_cache / "tiny-clip" / "onnx" / "image-int8.onnx").is_file()
    scores = [cosine(a.vector, b.vector) for a, b in zip(tiny.run_batch(MIXED), int8.run_batch(MIXED), strict=True)]
    # Measured on the tiny model: min cosine 0.9998 over these tasks (uint8 weights per channel, activations per batch).
    assert min(scores) > 0.995
    assert all(abs(float(np.linalg.norm(r.vector)) - 1.0) < 1e-5 for r in int8.run_batch(MIXED))


def test_onnx_without_a_writable_folder_exports_to_the_temp_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    backend = load(tiny_spec(runtime="onnx"))
    (folder,) = (tmp_path / "outcrop-clip").iterdir()  # named by a hash of the weights
    assert (folder / "onnx" / "image-fp32.onnx").is_file()
    assert backend.run(MIXED[0], no_progress).vector.shape == (1024,)


def save_tiny(folder: Path) -> Path:
    model, tokenizer, image_processor = clip_tiny.build()
    for part in (model, tokenizer, image_processor):
        part.save_pretrained(folder)
    return folder


def test_loads_from_a_local_folder_and_caches_the_basis(tiny, tmp_path):
    folder = save_tiny(tmp_path / "tiny-clip")
    backend = load(LoadSpec(weights="tiny-clip", weights_dir=folder, threads=1))
    for ours, theirs in zip(tiny.run_batch(MIXED), backend.run_batch(MIXED), strict=True):
        np.testing.assert_allclose(ours.vector, theirs.vector, atol=1e-6)
        assert ours.text_token_count == theirs.text_token_count
    (basis,) = folder.glob("embedding_basis-*.npy")
    np.testing.assert_array_equal(np.load(basis), backend.space.basis)
    # A second load reads the cached basis instead of recomputing it.
    np.save(basis, np.eye(32))
    again = load(LoadSpec(weights="tiny-clip", weights_dir=folder, threads=1))
    np.testing.assert_array_equal(again.space.basis, np.eye(32))


def test_loads_a_siglip_folder_padded_to_full_length(tmp_path):
    import torch
    from transformers import SiglipConfig, SiglipImageProcessorPil, SiglipModel

    tokenizer = clip_tiny.build_tokenizer()
    tower = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}
    ids = {"pad_token_id": tokenizer.pad_token_id, "eos_token_id": tokenizer.eos_token_id}
    text = {**tower, **ids, "vocab_size": len(tokenizer), "max_position_embeddings": 16}
    config = SiglipConfig(text_config=text, vision_config={**tower, "image_size": 32, "patch_size": 8})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        SiglipModel(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    SiglipImageProcessorPil(size={"height": 32, "width": 32}).save_pretrained(tmp_path)

    backend = load(LoadSpec(weights="tiny-siglip", weights_dir=tmp_path, threads=1))
    assert backend.encoder.texts(["a cat"])["input_ids"].shape == (1, 16)
    for result in backend.run_batch(MIXED):
        assert abs(float(np.linalg.norm(result.vector)) - 1.0) < 1e-5
