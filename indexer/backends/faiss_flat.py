"""FAISS backends: the shared plumbing (ID-selector filtering, exact scoring read from
FAISS's own storage) and the exact flat index."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer.backends.base import SAVE_CHUNK_ROWS, VectorBackend, _topk

#: OpenMP threads FAISS uses for a search. One: a single query is far faster without the
#: thread start-up and spin-wait (measured 0.5 ms vs 33 ms on a loaded 2-core machine), and
#: a server runs queries in parallel anyway. Bulk adds use every core.
SEARCH_THREADS = 1


def _faiss_threads(n: int | None) -> None:
    import os

    import faiss

    faiss.omp_set_num_threads(n or os.cpu_count() or 1)


#: Under a filter the approximate search widens (efSearch, nprobe) by 1/fraction allowed,
#: but by no more than this factor: the selector already skips disallowed rows, and a
#: result that still comes back short is completed exactly.
MAX_FILTER_WIDENING = 4.0

class _FaissBackend(VectorBackend):
    """Shared FAISS plumbing: an index file, a selector for filtered search."""

    def __init__(self, dim: int):
        super().__init__(dim)
        self.index = self._new_index()

    def _new_index(self):
        raise NotImplementedError

    def _save(self, d: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(d / "faiss.index"))

    def _load(self, d: Path, meta: dict) -> None:
        import faiss

        self._load_matrix(d)
        self.index = faiss.read_index(str(d / "faiss.index"))

    def _selector(self, allowed: np.ndarray):
        """A bitmap selector over row ids (kept alive on self while it is used)."""
        import faiss

        n = len(self._present)
        bits = np.zeros(n, dtype=bool)
        bits[allowed] = True
        packed = np.packbits(bits, bitorder="little")
        sel = faiss.IDSelectorBitmap(n, faiss.swig_ptr(packed))
        sel._packed = packed  # keep the buffer alive with the selector
        return sel

    def _params(self, sel, k: int, fraction: float):
        import faiss

        return faiss.SearchParameters(sel=sel)

    #: Up to this many queries at once, exact scoring of a row subset reads FAISS's storage
    #: in place (IndexFlat.compute_distance_subset: at 1M, 10k rows in 0.7 ms instead of
    #: 2.5 ms for a numpy gather and product); more queries share one gathered matrix.
    SUBSET_MAX_QUERIES = 8

    def _flat_storage(self):
        """(the IndexFlat holding the vectors, row ids -> its ids), or None."""
        return None

    def _exact(self, q: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        store = self._flat_storage() if len(q) <= self.SUBSET_MAX_QUERIES and len(rows) else None
        if store is None:
            return super()._exact(q, k, rows)
        import faiss

        flat, to_flat = store
        labels = np.ascontiguousarray(np.broadcast_to(to_flat(rows).astype(np.int64), (len(q), len(rows))))
        scores = np.empty((len(q), len(rows)), dtype=np.float32)
        qc = np.ascontiguousarray(q, dtype=np.float32)
        flat.compute_distance_subset(len(q), faiss.swig_ptr(qc), len(rows), faiss.swig_ptr(scores), faiss.swig_ptr(labels))
        return _topk(scores, rows, k)

    def _search(self, q: np.ndarray, k: int, allowed: np.ndarray | None, need: int | None = None):
        sel = None
        fraction = 1.0
        if allowed is not None:
            sel = self._selector(allowed)
            fraction = max(len(allowed) / max(self.count, 1), 1e-6)
        params = self._params(sel, k, fraction)
        _faiss_threads(SEARCH_THREADS if len(q) <= 8 else None)
        scores, ids = self.index.search(q, k, params=params)
        scores = scores.astype(np.float32)
        scores[ids < 0] = -np.inf
        return scores, ids.astype(np.int64)


class FlatBackend(_FaissBackend):
    """Exact FAISS search over an IndexFlatIP whose n-th vector is row n.

    The FAISS storage is the backend's row-slot matrix (`_mat` is a view of it, zeros in
    absent slots), so each vector is held once. On disk the flat index is vectors.npy
    alone: loading copies it into a new IndexFlatIP (an index saved by an older version
    with its own faiss.index loads the same way)."""

    name = "flat"

    def _new_index(self):
        import faiss

        return faiss.IndexFlatIP(self.dim)

    def _view(self) -> None:
        """Point `_mat` at FAISS's storage (again after every add: it may move)."""
        import faiss

        n = int(self.index.ntotal)
        if n == 0:
            self._mat = np.zeros((0, self.dim), dtype=np.float32)
            return
        flat = faiss.rev_swig_ptr(faiss.downcast_index(self.index).get_xb(), n * self.dim)
        self._mat = flat.reshape(n, self.dim)

    def _flat_storage(self):
        return (self.index, lambda rows: rows) if self.index.ntotal else None

    def _grow(self, top: int) -> None:
        # np.zeros maps untouched zero pages: the one copy made is FAISS's
        self.index.add(np.zeros((top - int(self.index.ntotal), self.dim), dtype=np.float32))
        self._view()

    def _put(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        self._mat[ids] = vecs  # written into FAISS's own storage

    def _drop(self, ids: np.ndarray) -> None:
        self._mat[ids] = 0.0

    def _search(self, q: np.ndarray, k: int, allowed: np.ndarray | None, need: int | None = None):
        if allowed is None and self.count < len(self._present):  # absent slots hold zeros
            allowed = np.flatnonzero(self._present)
        return super()._search(q, k, allowed)

    def _save(self, d: Path) -> None:
        pass  # vectors.npy is the whole flat index

    def _load(self, d: Path, meta: dict) -> None:
        mat = np.load(d / "vectors.npy", mmap_mode="r", allow_pickle=False)
        self.index = self._new_index()
        self._grow(len(mat))
        for s in range(0, len(mat), SAVE_CHUNK_ROWS):
            self._mat[s : s + SAVE_CHUNK_ROWS] = mat[s : s + SAVE_CHUNK_ROWS]
        del mat

