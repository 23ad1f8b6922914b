"""Approximate search over a FAISS HNSW graph."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from indexer.backends.faiss_flat import (
    MAX_FILTER_WIDENING,
    SEARCH_THREADS,
    _faiss_threads,
    _FaissBackend,
)

#: HNSW under a filter that allows more than the exact path takes: search the graph
#: unfiltered for k / fraction * POSTFILTER_OVERSAMPLE neighbours (at most
#: POSTFILTER_MAX_K) and keep the allowed ones. A walk that must skip 90% of the nodes it
#: meets costs ~10x more (measured at 1M: 41 ms against ~4 ms); queries that come back
#: short fall through to the filtered walk, then to exact scoring.
POSTFILTER_OVERSAMPLE = 3.0
POSTFILTER_MAX_K = 2048


class HNSWBackend(_FaissBackend):
    """Approximate search with a FAISS HNSW graph (inner product).

    HNSW cannot remove vectors: deleted rows stay in the graph and are excluded by the
    selector on every search. FAISS's sequential ids map to row ids through `_ids`."""

    name = "hnsw"

    #: Defaults measured by `make bench` (reports/bench.md). At 1M synthetic passages on
    #: 2 cores, efConstruction 128 builds the graph in ~7 min and reaches recall@10 1.000
    #: unfiltered / 0.993 under a 10% filter at efSearch 256 (1.9 / 3.4 ms); efConstruction
    #: 64 built in 3 min but its recall varied between builds from 0.943 to 0.959, and
    #: stayed at 0.95 under the 10% filter whatever efSearch (256-768) or oversampling.
    DEFAULTS: ClassVar[dict[str, int]] = {"m": 32, "ef_construction": 128, "ef_search": 256}

    def __init__(self, dim: int, m: int = 32, ef_construction: int = 128, ef_search: int = 256):
        self.m, self.ef_construction, self.ef_search = m, ef_construction, ef_search
        self._ids = np.zeros(0, dtype=np.int64)  # faiss id -> row id
        self._r2f: np.ndarray | None = None  # row id -> its current faiss id (-1: none)
        self._nodes: np.ndarray | None = None  # view of the graph's vectors (faiss id order)
        super().__init__(dim)

    def _new_index(self):
        import faiss

        index = faiss.IndexHNSWFlat(self.dim, self.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.ef_construction
        index.hnsw.efSearch = self.ef_search
        return index

    def _meta(self) -> dict:
        return {"m": self.m, "ef_construction": self.ef_construction, "ef_search": self.ef_search}

    @classmethod
    def _init_kwargs(cls, meta: dict) -> dict:
        return {k: meta[k] for k in ("m", "ef_construction", "ef_search") if k in meta}

    def _save(self, d: Path) -> None:
        super()._save(d)
        np.save(d / "hnsw_ids.npy", self._ids, allow_pickle=False)

    def _load(self, d: Path, meta: dict) -> None:
        super()._load(d, meta)
        self._ids = np.load(d / "hnsw_ids.npy", allow_pickle=False)
        self._r2f = None
        self._nodes = None

    # storage: the graph's own copy of the vectors, in node order, read through the
    # row -> node map; there is no row-slot matrix
    def _grow(self, top: int) -> None:
        pass

    def _put(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        _faiss_threads(None)
        self.index.add(vecs)
        self._ids = np.concatenate([self._ids, ids])
        self._r2f = None
        self._nodes = None

    def _drop(self, ids: np.ndarray) -> None:
        pass  # the node stays in the graph (a tombstone, still a waypoint), never selected

    def _load_matrix(self, d: Path) -> None:
        pass

    def _storage(self):
        """The IndexFlat inside the graph that holds its vectors, in node order."""
        import faiss

        return faiss.downcast_index(self.index.storage)

    def _node_vectors(self) -> np.ndarray:
        """A read-only view of the graph's stored vectors, one row per node."""
        import faiss

        nodes = self._nodes
        n = int(self.index.ntotal)
        if nodes is None or len(nodes) != n:
            if n == 0:
                nodes = np.zeros((0, self.dim), dtype=np.float32)
            else:
                nodes = faiss.rev_swig_ptr(self._storage().get_xb(), n * self.dim).reshape(n, self.dim)
                nodes.flags.writeable = False
            self._nodes = nodes
        return nodes

    def _rows(self, ids: np.ndarray) -> np.ndarray:
        return self._node_vectors()[self._row_to_fid()[ids]]

    def _flat_storage(self):
        if not self.index.ntotal:
            return None
        r2f = self._row_to_fid()
        return self._storage(), lambda rows: r2f[rows]

    def scores_all(self, query_vector: np.ndarray) -> np.ndarray:
        node_scores = self._node_vectors() @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
        s = np.full(len(self._present), -np.inf, dtype=np.float32)
        rows = np.flatnonzero(self._present)
        s[rows] = node_scores[self._row_to_fid()[rows]]
        return s

    def _row_to_fid(self) -> np.ndarray:
        """Row id -> the faiss id of its live vector; a re-added row maps to its newest
        node, so a deleted row's old node (a tombstone) is never selected."""
        r2f = self._r2f
        if r2f is None or len(r2f) < len(self._present):
            r2f = np.full(len(self._present), -1, dtype=np.int64)
            rows, first_from_end = np.unique(self._ids[::-1], return_index=True)
            r2f[rows] = len(self._ids) - 1 - first_from_end  # each row's newest graph node
            self._r2f = r2f
        return r2f

    def _selector(self, allowed: np.ndarray):
        # translate allowed row ids to faiss ids (deleted graph nodes are never among them)
        import faiss

        keep = np.zeros(len(self._ids), dtype=bool)
        fids = self._row_to_fid()[allowed]
        keep[fids[fids >= 0]] = True
        packed = np.packbits(keep, bitorder="little")
        sel = faiss.IDSelectorBitmap(len(keep), faiss.swig_ptr(packed))
        sel._packed = packed
        return sel

    def _params(self, sel, k: int, fraction: float):
        import faiss

        # the graph walk visits ~efSearch nodes; widen it as the filter gets selective
        ef = int(min(max(self.ef_search, k) * min(1 / fraction, MAX_FILTER_WIDENING), 4096))
        ef = max(ef, k, self.ef_search)
        return faiss.SearchParametersHNSW(sel=sel, efSearch=ef)

    def _search(self, q: np.ndarray, k: int, allowed: np.ndarray | None, need: int | None = None):
        if allowed is None and self.count < len(self._ids):  # tombstones present
            allowed = np.flatnonzero(self._present)
        if allowed is not None:
            return self._postfilter(q, k, allowed, k if need is None else need)
        return self._walk(q, k, None)

    def _walk(self, q: np.ndarray, k: int, allowed: np.ndarray | None):
        scores, fids = super()._search(q, k, allowed)
        ids = np.where(fids >= 0, self._ids[np.clip(fids, 0, None)], -1)
        return scores, ids

    def _postfilter_k(self, k: int, n_allowed: int, need: int) -> int:
        """Unfiltered neighbours to fetch: enough to expect `need` allowed ones
        (oversampled), and at least k."""
        fraction = max(n_allowed / max(self.count, 1), 1e-6)
        kk = max(int(np.ceil(need / fraction * POSTFILTER_OVERSAMPLE)), k)
        return int(min(kk, POSTFILTER_MAX_K, len(self._ids)))

    def postfilter_depth(self, k: int, n_allowed: int, need: int | None = None) -> int | None:
        if self._exact_size(n_allowed) or self.count < len(self._ids):  # exact, or tombstones
            return None
        need = k if need is None else max(1, min(int(need), k))
        kk = self._postfilter_k(k, n_allowed, need)
        return kk if kk > need else None

    def _postfilter(self, q: np.ndarray, k: int, allowed: np.ndarray, need: int):
        """Unfiltered graph search for enough neighbours, keep the allowed ones; queries
        left with fewer than `need` go to the filtered walk (the base class then scores
        exactly if needed)."""
        import faiss

        kk = self._postfilter_k(k, len(allowed), need)
        if kk <= need:
            return self._walk(q, k, allowed)
        _faiss_threads(SEARCH_THREADS if len(q) <= 8 else None)
        params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, kk))
        cs, cf = self.index.search(q, kk, params=params)
        ok_row = np.zeros(len(self._present), dtype=bool)
        ok_row[allowed] = True
        r2f = self._row_to_fid()
        out_s = np.full((len(q), k), -np.inf, dtype=np.float32)
        out_i = np.full((len(q), k), -1, dtype=np.int64)
        want = min(need, len(allowed))
        short = []
        for i in range(len(q)):
            f = cf[i]
            f = f[f >= 0]
            rows = self._ids[f]
            keep = ok_row[rows] & (r2f[rows] == f)
            n = min(int(keep.sum()), k)
            out_s[i, :n] = cs[i][: len(keep)][keep][:n]
            out_i[i, :n] = rows[keep][:n]
            if n < want:
                short.append(i)
        if short:
            ws, wi = self._walk(q[short], k, allowed)
            out_s[short], out_i[short] = ws, wi
        return out_s, out_i

