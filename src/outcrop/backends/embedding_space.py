"""One vector space at every output length (Titan's 256/384/1024, Nova 2's up to 3072).

A model's native d-dimensional unit vectors are rotated into a fixed orthonormal basis whose axes are ordered by
how much of a reference set's energy they carry (an uncentred PCA of, e.g., the text embeddings of ImageNet's
class names). A shorter output keeps the leading axes and is renormalised, so 256-d text and 256-d image vectors
live in the same truncated space and rankings agree closely with the full one. A longer output than the model
has cannot add information: it is the native vector spread over every axis by a fixed isometry (orthonormal
columns, seeded by the two sizes), which leaves every cosine unchanged without leaving axes at zero for a vector
store to waste. The basis travels with the weights, so the same input always gives the same vector.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float32]


def unit(vectors: NDArray[np.floating]) -> NDArray[np.float64]:
    """Each vector (the last axis) scaled to length 1; zero vectors stay zero."""
    array = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    return array / np.where(norms == 0, 1, norms)


class EmbeddingSpace:
    def __init__(self, basis: NDArray[np.floating]) -> None:
        basis = np.asarray(basis, dtype=np.float64)
        if basis.ndim != 2 or basis.shape[0] != basis.shape[1]:
            raise ValueError(f"basis must be square, got {basis.shape}")
        self.basis = basis
        self.native_dimension = basis.shape[0]

    @classmethod
    def from_reference(cls, vectors: NDArray[np.floating]) -> EmbeddingSpace:
        """Principal axes of `vectors` (n x d, n may be < d: the rest of the basis is completed orthonormally)."""
        reference = np.asarray(vectors, dtype=np.float64)
        _, _, vt = np.linalg.svd(reference, full_matrices=True)
        # SVD signs are arbitrary and may differ between LAPACK builds; fix them so vectors are reproducible.
        signs = np.sign(vt[np.arange(vt.shape[0]), np.argmax(np.abs(vt), axis=1)])
        return cls(vt * signs[:, None])

    @classmethod
    def identity(cls, dimension: int) -> EmbeddingSpace:
        return cls(np.eye(dimension))

    def project(self, native: NDArray[np.floating], length: int) -> Array:
        """Native vectors (n x d or d) -> unit vectors of `length` in this space."""
        return at_length(self.rotate(native), length)

    def rotate(self, native: NDArray[np.floating]) -> Array:
        """Native vectors (n x d or d) in this space's basis, at full length: every output length derives from it."""
        rotated = unit(np.asarray(native, dtype=np.float64) @ self.basis.T)
        return rotated.astype(np.float32)

    def save(self, path: Path) -> None:
        np.save(path, self.basis)

    @classmethod
    def load(cls, path: Path) -> EmbeddingSpace:
        return cls(np.load(path))


def at_length(rotated: NDArray[np.floating], length: int) -> Array:
    """Vectors in a space's basis (n x d or d) -> unit vectors of `length`: the leading axes, or all of them spread
    by a fixed isometry when `length` is longer than d."""
    rows = np.atleast_2d(np.asarray(rotated, dtype=np.float64))
    native = rows.shape[1]
    out = rows[:, :length] if length <= native else rows @ spread(length, native).T
    result = unit(out).astype(np.float32)
    return result[0] if np.ndim(rotated) == 1 else result


@lru_cache(maxsize=8)
def spread(length: int, native: int) -> NDArray[np.float64]:
    """A fixed length x native matrix with orthonormal columns: x -> spread @ x keeps every inner product."""
    rng = np.random.default_rng([length, native])
    q, r = np.linalg.qr(rng.standard_normal((length, native)))
    return q * np.sign(np.diag(r))  # QR's signs depend on the LAPACK build; fixing them keeps vectors reproducible
