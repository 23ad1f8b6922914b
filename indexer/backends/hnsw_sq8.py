"""HNSW over 8-bit scalar-quantised vectors, re-scored exactly from the full vectors on disk.

The `hnsw` backend holds every vector at float32 inside its graph (1,536 bytes) plus the
graph's links (~260 bytes at M=32): about 1,810 bytes a passage, so ten million passages
need 18 GB. Here the graph walks 8-bit codes (384 bytes for 384 dimensions, one byte per
dimension between its trained minimum and maximum) with fewer links (M=20), and the
best `rerank` candidates it finds are scored again exactly from the float32 vectors in
vectors.npy, which stays on disk and is memory-mapped: the operating system keeps the
pages it reads in its cache and drops them under memory pressure. Every other use of
the vectors (exact scoring of small filtered sets, similar practices, the re-index's
reuse) reads the same file, so nothing about the results but the candidate walk is
approximate. Figures and the choice of M and `rerank`: the README's speed section
(reports/bench.md, "vector layouts at 1M").
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from indexer.backends.base import VectorBackend
from indexer.backends.hnsw import HNSWBackend


class HNSWSQ8Backend(HNSWBackend):
    """HNSW graph over SQ8 codes; the top `rerank` candidates re-scored from full vectors."""

    name = "hnsw-sq8"
    #: Once saved and loaded, its full vectors are a memory map of vectors.npy.
    maps_vectors = True

    DEFAULTS: ClassVar[dict[str, int]] = {"m": 20, "ef_construction": 128, "ef_search": 256, "rerank": 100}

    def __init__(self, dim: int, m: int = 20, ef_construction: int = 128, ef_search: int = 256, rerank: int = 100):
        self.rerank = int(rerank)
        super().__init__(dim, m=m, ef_construction=ef_construction, ef_search=ef_search)
        self._mat = np.zeros((0, dim), dtype=np.float32)  # full vectors by row (memory-mapped once saved)

    def _new_index(self):
        import faiss

        index = faiss.IndexHNSWSQ(self.dim, faiss.ScalarQuantizer.QT_8bit, self.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.ef_construction
        index.hnsw.efSearch = self.ef_search
        return index

    def _meta(self) -> dict:
        return {**super()._meta(), "rerank": self.rerank}

    @classmethod
    def _init_kwargs(cls, meta: dict) -> dict:
        return {k: meta[k] for k in ("m", "ef_construction", "ef_search", "rerank") if k in meta}

    # storage: the full vectors as a row-slot matrix (the base class's), beside the codes
    def _writable(self) -> None:
        if not self._mat.flags.writeable:  # a loaded index: the memory map becomes a copy
            self._mat = np.array(self._mat)

    def _grow(self, top: int) -> None:
        self._writable()
        VectorBackend._grow(self, top)

    def _put(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        self._writable()
        self._mat[ids] = vecs
        if not self.index.is_trained:  # the codes' per-dimension ranges, from the first vectors
            self.index.train(vecs)
        super()._put(ids, vecs)

    def _drop(self, ids: np.ndarray) -> None:
        self._writable()
        self._mat[ids] = 0.0

    def _load_matrix(self, d: Path) -> None:
        self._mat = np.load(d / "vectors.npy", mmap_mode="r", allow_pickle=False)

    def _rows(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(self._mat[ids], dtype=np.float32)

    def _flat_storage(self):
        return None  # exact scoring reads the full vectors (`_rows`)

    def scores_all(self, query_vector: np.ndarray) -> np.ndarray:
        return VectorBackend.scores_all(self, query_vector)

    def _search(self, q: np.ndarray, k: int, allowed: np.ndarray | None, need: int | None = None):
        kk = max(k, self.rerank)
        _, ids = super()._search(q, kk, allowed, need)
        return self._rescore(q, ids, k)

    def _rescore(self, q: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact scores of each query's candidates from the full vectors, best k first."""
        out_s = np.full((len(q), k), -np.inf, dtype=np.float32)
        out_i = np.full((len(q), k), -1, dtype=np.int64)
        for i in range(len(q)):
            cand = ids[i][ids[i] >= 0]
            if not len(cand):
                continue
            order = np.sort(cand)  # reads the memory map in file order
            s = self._rows(order) @ q[i]
            top = np.argsort(-s, kind="stable")[:k]
            out_s[i, : len(top)], out_i[i, : len(top)] = s[top], order[top]
        return out_s, out_i

    # memory_bytes (the base class's) counts arrays that own their data and the FAISS
    # index: the codes, the graph and the row maps; the full vectors once they are a
    # memory map of vectors.npy are not counted (the page cache holds what queries read).
