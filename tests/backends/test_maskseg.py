"""The text-to-mask model on the tiny seeded CLIPSeg: real transformers code, noise masks.

The tiny model's masks mean nothing; these tests check the promises `maskseg` makes whatever the weights: binary,
the image's size, Bedrock's black-is-named convention, never empty, the same in every process.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from outcrop.backends import maskseg


@pytest.fixture(scope="module")
def masker() -> maskseg.TextMasker:
    return maskseg.build_tiny()


def test_mask_is_binary_at_the_image_size_and_not_empty(masker):
    image = Image.new("RGB", (300, 170), (40, 120, 200))
    mask = masker.mask(image, "the sky")
    values = np.asarray(mask)
    assert mask.mode == "L" and mask.size == (300, 170)
    assert set(np.unique(values)) <= {0, 255}
    assert (values == 0).any()


def test_rebuilt_tiny_model_gives_the_same_mask(masker):
    image = Image.new("RGB", (64, 64), (200, 30, 30))
    assert maskseg.build_tiny().mask(image, "a cup").tobytes() == masker.mask(image, "a cup").tobytes()


def test_probabilities_are_at_the_model_resolution(masker):
    grid = masker.probabilities(Image.new("RGB", (99, 51)), "a dog")
    assert grid.shape == (64, 64) and grid.dtype == np.float32
    assert 0.0 <= grid.min() <= grid.max() <= 1.0


def test_binary_mask_thresholds_and_black_marks_the_region():
    probabilities = np.zeros((4, 5), dtype=np.float32)
    probabilities[1, 2] = 0.9
    probabilities[3, 4] = maskseg.THRESHOLD
    values = np.asarray(maskseg.binary_mask(probabilities))
    assert values.shape == (4, 5)
    assert set(zip(*np.nonzero(values == 0), strict=True)) == {(1, 2), (3, 4)}


def test_nothing_over_the_threshold_falls_back_to_the_most_likely_pixels():
    probabilities = np.linspace(0.0, 0.3, 100, dtype=np.float32).reshape(10, 10)
    values = np.asarray(maskseg.binary_mask(probabilities, top=0.1))
    assert (values == 0).sum() == 10
    assert (values[-1] == 0).all()  # the largest values are in the last row
