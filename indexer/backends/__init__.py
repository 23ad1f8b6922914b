"""Vector backends behind one small interface (`base.VectorBackend`).

- ``numpy``: exact, the reference every other backend is tested against;
- ``flat``: exact FAISS IndexFlatIP (the default);
- ``hnsw``, ``ivf``: approximate FAISS indexes for large collections on one machine;
- ``milvus``: a Milvus collection (Milvus Lite file, a Milvus server or a cluster), for
  collections past one machine (`indexer.backends.milvus`).

Filtered search happens inside each backend, never after it, and a filtered query
returns k results whenever at least k allowed rows exist (see `base`).
"""

from __future__ import annotations

from indexer.backends.base import EXACT_MAX_FRACTION, EXACT_MAX_ROWS, NumpyBackend, VectorBackend
from indexer.backends.faiss_flat import FlatBackend
from indexer.backends.hnsw import HNSWBackend
from indexer.backends.ivf import IVFBackend

BACKENDS: dict[str, type[VectorBackend]] = {
    "numpy": NumpyBackend,
    "flat": FlatBackend,
    "hnsw": HNSWBackend,
    "ivf": IVFBackend,
}


def make_backend(name: str, dim: int) -> VectorBackend:
    """A new empty backend by name (numpy, flat, hnsw, ivf)."""
    try:
        return BACKENDS[name](dim)
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}") from None


__all__ = [
    "BACKENDS",
    "EXACT_MAX_FRACTION",
    "EXACT_MAX_ROWS",
    "FlatBackend",
    "HNSWBackend",
    "IVFBackend",
    "NumpyBackend",
    "VectorBackend",
    "make_backend",
]
