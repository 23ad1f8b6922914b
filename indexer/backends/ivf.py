"""Approximate search over a FAISS inverted file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer.backends.faiss_flat import MAX_FILTER_WIDENING, _faiss_threads, _FaissBackend


class IVFBackend(_FaissBackend):
    """Approximate search with an inverted file (IndexIVFFlat, inner product).

    Trained on the first batch added; nlist ~ 4 sqrt(n), nprobe widened under filters."""

    name = "ivf"

    def __init__(self, dim: int, nlist: int | None = None, nprobe: int = 16):
        self.nlist, self.nprobe = nlist, nprobe
        super().__init__(dim)

    def _new_index(self):
        return None  # created at the first add, when n (hence nlist) is known

    def _meta(self) -> dict:
        return {"nlist": self.nlist, "nprobe": self.nprobe}

    @classmethod
    def _init_kwargs(cls, meta: dict) -> dict:
        return {"nlist": meta.get("nlist"), "nprobe": meta.get("nprobe", 16)}

    def _add(self, ids, vecs):
        import faiss

        if self.index is None:
            nlist = self.nlist or int(max(1, min(4 * np.sqrt(len(vecs)), len(vecs) // 39)))
            self.nlist = nlist
            quantizer = faiss.IndexFlatIP(self.dim)
            self.index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            _faiss_threads(None)
            self.index.train(vecs)
        self.index.add_with_ids(vecs, ids)

    def _delete(self, ids):
        import faiss

        self.index.remove_ids(faiss.IDSelectorBatch(len(ids), faiss.swig_ptr(ids)))

    def _save(self, d: Path) -> None:
        if self.index is not None:
            super()._save(d)

    def _load(self, d: Path, meta: dict) -> None:
        if (d / "faiss.index").exists():
            super()._load(d, meta)
        else:  # nothing added yet when it was saved
            self._load_matrix(d)

    def _params(self, sel, k: int, fraction: float):
        import faiss

        nprobe = int(min(self.nprobe * min(1 / fraction, MAX_FILTER_WIDENING), self.nlist or 1))
        return faiss.SearchParametersIVF(sel=sel, nprobe=max(nprobe, 1))

    def _search(self, q, k, allowed, need=None):
        if self.index is None:
            return self._exact(q, k, np.flatnonzero(self._present))
        return super()._search(q, k, allowed)
