"""Vector backends behind one small interface (`base.VectorBackend`).

- ``numpy``: exact, the reference every other backend is tested against;
- ``flat``: exact FAISS IndexFlatIP (the default);
- ``hnsw``, ``ivf``: approximate FAISS indexes for large collections on one machine;
- ``hnsw-sq8``: HNSW over 8-bit codes, re-scored from the full vectors memory-mapped
  from disk: under a third of ``hnsw``'s memory per passage;
- ``milvus``: a Milvus collection (Milvus Lite file, a Milvus server or a cluster), for
  collections past one machine (`indexer.backends.milvus`).

Filtered search happens inside each backend, never after it, and a filtered query
returns k results whenever at least k allowed rows exist (see `base`).
"""

from __future__ import annotations

from indexer.backends.base import (
    EXACT_MAX_FRACTION,
    EXACT_MAX_ROWS,
    NumpyBackend,
    Selection,
    VectorBackend,
)
from indexer.backends.faiss_flat import FlatBackend
from indexer.backends.hnsw import HNSWBackend
from indexer.backends.hnsw_sq8 import HNSWSQ8Backend
from indexer.backends.ivf import IVFBackend
from indexer.backends.milvus import MilvusBackend

BACKENDS: dict[str, type[VectorBackend]] = {
    "numpy": NumpyBackend,
    "flat": FlatBackend,
    "hnsw": HNSWBackend,
    "hnsw-sq8": HNSWSQ8Backend,
    "ivf": IVFBackend,
    "milvus": MilvusBackend,
}


def check_backend_name(name: str) -> None:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")


def make_backend(name: str, dim: int, **options) -> VectorBackend:
    """A new empty backend by name (numpy, flat, hnsw, hnsw-sq8, ivf, milvus); `options` go to its
    constructor (milvus: uri, collection)."""
    check_backend_name(name)
    return BACKENDS[name](dim, **options)


__all__ = [
    "BACKENDS",
    "EXACT_MAX_FRACTION",
    "EXACT_MAX_ROWS",
    "FlatBackend",
    "HNSWBackend",
    "HNSWSQ8Backend",
    "IVFBackend",
    "MilvusBackend",
    "NumpyBackend",
    "Selection",
    "VectorBackend",
    "check_backend_name",
    "make_backend",
]
