"""Vector backends behind one small interface: exact numpy, FAISS flat, HNSW and IVF.

Every backend holds L2-normalised float32 vectors under non-negative integer row ids
and scores by inner product. Filtered search happens inside the backend, never after
it: a small allowed set is scored exactly with numpy over exactly those rows; a large
one goes to FAISS with an ID selector, and if the approximate search still comes back
short the allowed rows are scored exactly. So a filtered query returns k results
whenever at least k allowed rows exist (the txtai 301/915 failure mode is excluded).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np

#: OpenMP threads FAISS uses for a search. One: a single query is far faster without the
#: thread start-up and spin-wait (measured 0.5 ms vs 33 ms on a loaded 2-core machine), and
#: a server runs queries in parallel anyway. Bulk adds use every core.
SEARCH_THREADS = 1


def _faiss_threads(n: int | None) -> None:
    import os

    import faiss

    faiss.omp_set_num_threads(n or os.cpu_count() or 1)


#: Allowed sets at most this large (or this fraction of the index) are scored exactly.
EXACT_MAX_ROWS = 4096
EXACT_MAX_FRACTION = 0.05
#: Under a filter the approximate search widens (efSearch, nprobe) by 1/fraction allowed,
#: but by no more than this factor: the selector already skips disallowed rows, and a
#: result that still comes back short is completed exactly.
MAX_FILTER_WIDENING = 4.0
#: HNSW under a filter that allows more than the exact path takes: search the graph
#: unfiltered for k / fraction * POSTFILTER_OVERSAMPLE neighbours (at most
#: POSTFILTER_MAX_K) and keep the allowed ones. A walk that must skip 90% of the nodes it
#: meets costs ~10x more (measured at 1M: 41 ms against ~4 ms); queries that come back
#: short fall through to the filtered walk, then to exact scoring.
POSTFILTER_OVERSAMPLE = 3.0
POSTFILTER_MAX_K = 2048
#: Rows written per step when saving vectors.npy.
SAVE_CHUNK_ROWS = 65_536


def _as_ids(ids) -> np.ndarray:
    arr = np.asarray(ids, dtype=np.int64).reshape(-1)
    if arr.size and arr.min() < 0:
        raise ValueError("row ids must be non-negative integers")
    return arr


def _as_matrix(vectors, dim: int | None = None) -> np.ndarray:
    m = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if m.ndim == 1:
        m = m.reshape(1, -1)
    if dim is not None and m.shape[1] != dim:
        raise ValueError(f"vectors have dimension {m.shape[1]}, the index holds {dim}")
    return m


def _topk(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top k of a (nq, n) score matrix, as (nq, k) arrays padded with -inf / -1."""
    nq, n = scores.shape
    out_s = np.full((nq, k), -np.inf, dtype=np.float32)
    out_i = np.full((nq, k), -1, dtype=np.int64)
    kk = min(k, n)
    if kk == 0:
        return out_s, out_i
    if kk < n:
        part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
    else:
        part = np.tile(np.arange(n), (nq, 1))
    part_s = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_s, axis=1, kind="stable")
    top = np.take_along_axis(part, order, axis=1)
    out_s[:, :kk] = np.take_along_axis(scores, top, axis=1)
    out_i[:, :kk] = ids[top]
    return out_s, out_i


class VectorBackend:
    """Base class: vectors under row ids, with exact scoring of any row set (filtered
    search, reuse at re-index, document similarity).

    Where the vectors live is the subclass's choice, so each is held once: numpy and IVF
    keep a row-slot matrix (`_mat`); FAISS flat *is* such a matrix (`_mat` is a view of
    its storage); HNSW reads them from its graph's storage through a row -> node map."""

    name: ClassVar[str] = "base"

    def __init__(self, dim: int):
        self.dim = int(dim)
        self._mat = np.zeros((0, self.dim), dtype=np.float32)
        self._present = np.zeros(0, dtype=bool)

    # -- the interface -------------------------------------------------------------
    @property
    def count(self) -> int:
        return int(self._present.sum())

    def add(self, ids, vectors) -> None:
        """Add vectors under the given row ids (ids must be new)."""
        ids = _as_ids(ids)
        vecs = _as_matrix(vectors, self.dim)
        if len(ids) != len(vecs):
            raise ValueError(f"{len(ids)} ids for {len(vecs)} vectors")
        if len(ids) == 0:
            return
        if len(np.unique(ids)) != len(ids):
            raise ValueError("duplicate row ids in one add")
        if int(ids.max()) < len(self._present) and self._present[ids].any():
            raise ValueError("row ids already present; delete them first")
        top = int(ids.max()) + 1
        if top > len(self._present):
            self._grow(top)
            self._present = np.concatenate([self._present, np.zeros(top - len(self._present), dtype=bool)])
        self._put(ids, vecs)
        self._present[ids] = True

    def delete(self, ids) -> None:
        ids = _as_ids(ids)
        ids = ids[ids < len(self._present)]
        ids = ids[self._present[ids]]
        if len(ids) == 0:
            return
        self._present[ids] = False
        self._drop(ids)

    def vectors(self, ids) -> np.ndarray:
        """The stored vectors of the given row ids."""
        ids = _as_ids(ids)
        if len(ids) and (ids.max() >= len(self._present) or not self._present[ids].all()):
            raise KeyError("unknown row id")
        return self._rows(ids)

    def scores_all(self, query_vector: np.ndarray) -> np.ndarray:
        """Exact inner products of one query with every row slot (absent rows: -inf)."""
        s = self._mat @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
        s[~self._present] = -np.inf
        return s

    def search(
        self, query_vectors, k: int, allowed_ids=None, *, min_results: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids), each of shape (nq, k), padded with -inf / -1.

        With `allowed_ids`, only those rows are candidates, and k are returned whenever
        at least k of them are present. `min_results` < k relaxes that for callers that
        want up to k but can use fewer: an approximate search that finds at least
        `min_results` allowed rows is returned as it is, without the costlier filtered
        walk or exact scoring that completing it to k would take."""
        q = _as_matrix(query_vectors, self.dim)
        k = int(k)
        if k <= 0:
            raise ValueError("k must be positive")
        need = k if min_results is None else max(1, min(int(min_results), k))
        if allowed_ids is None:
            if self.count == 0:
                return _topk(np.zeros((len(q), 0), np.float32), np.zeros(0, np.int64), k)
            return self._search(q, k, None, need)
        allowed = _as_ids(allowed_ids)
        allowed = allowed[allowed < len(self._present)]
        allowed = allowed[self._present[allowed]]
        if len(allowed) > 1 and not (allowed[1:] > allowed[:-1]).all():  # not sorted and unique
            allowed = np.unique(allowed)
        n = len(allowed)
        if n == 0 or n <= EXACT_MAX_ROWS or n <= EXACT_MAX_FRACTION * self.count:
            return self._exact(q, k, allowed)
        scores, ids = self._search(q, k, allowed, need)
        want = min(need, n)
        short = (ids[:, :want] < 0).any(axis=1)
        if short.any():  # approximate search came back short: score the allowed rows exactly
            es, ei = self._exact(q[short], k, allowed)
            scores[short], ids[short] = es, ei
        return scores, ids

    def _exact(self, q: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _topk(q @ self._rows(rows).T, rows, k)

    def memory_bytes(self) -> int:
        """Bytes this backend holds in memory: its own arrays (views of FAISS's storage
        are not counted twice) and its FAISS index (the size FAISS serialises it to)."""
        size = sum(
            a.nbytes for a in vars(self).values() if isinstance(a, np.ndarray) and a.flags.owndata
        )
        index = getattr(self, "index", None)
        if index is not None:
            import faiss

            size += int(faiss.serialize_index(index).nbytes)
        return size

    # -- persistence ---------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """vectors.npy (one row per row slot, zeros where absent: the portable copy that a
        re-index reuses), present.npy, backend.json, and the subclass's own files."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        n = len(self._present)
        out = np.lib.format.open_memmap(d / "vectors.npy", mode="w+", dtype=np.float32, shape=(n, self.dim))
        for s in range(0, n, SAVE_CHUNK_ROWS):  # chunks: no second full copy in memory
            rows = np.arange(s, min(s + SAVE_CHUNK_ROWS, n))
            live = rows[self._present[rows]]
            out[s : s + len(rows)] = 0.0
            if len(live):
                out[live] = self._rows(live)
        out.flush()
        del out
        np.save(d / "present.npy", self._present, allow_pickle=False)
        meta = {"backend": self.name, "dim": self.dim, **self._meta()}
        (d / "backend.json").write_text(json.dumps(meta, indent=1))
        self._save(d)

    @classmethod
    def load(cls, directory: str | Path) -> VectorBackend:
        d = Path(directory)
        meta = json.loads((d / "backend.json").read_text())
        klass = BACKENDS.get(meta["backend"])
        if klass is None:
            raise ValueError(f"unknown vector backend {meta['backend']!r} in {d}")
        obj = klass(meta["dim"], **klass._init_kwargs(meta))
        obj._present = np.load(d / "present.npy", allow_pickle=False)
        obj._load(d, meta)
        return obj

    # -- storage hooks: a row-slot matrix by default -------------------------------
    def _grow(self, top: int) -> None:
        """Make room for row ids below `top`."""
        grow = top - len(self._mat)
        self._mat = np.vstack([self._mat, np.zeros((grow, self.dim), dtype=np.float32)])

    def _put(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        self._mat[ids] = vecs
        self._add(ids, vecs)

    def _drop(self, ids: np.ndarray) -> None:
        self._mat[ids] = 0.0
        self._delete(ids)

    def _rows(self, ids: np.ndarray) -> np.ndarray:
        return self._mat[ids]

    def _load_matrix(self, d: Path) -> None:
        self._mat = np.load(d / "vectors.npy", allow_pickle=False)

    # -- hooks for subclasses ------------------------------------------------------
    def _add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        pass

    def _delete(self, ids: np.ndarray) -> None:
        pass

    def _search(self, q: np.ndarray, k: int, allowed: np.ndarray | None, need: int | None = None):
        """Top k among `allowed` (None: all present rows); `need`: how many of them the
        caller must get (see `search`'s min_results)."""
        rows = np.flatnonzero(self._present) if allowed is None else allowed
        return self._exact(q, k, rows)

    def _meta(self) -> dict:
        return {}

    @classmethod
    def _init_kwargs(cls, meta: dict) -> dict:
        return {}

    def _save(self, d: Path) -> None:
        pass

    def _load(self, d: Path, meta: dict) -> None:
        self._load_matrix(d)


class NumpyBackend(VectorBackend):
    """Exact search with numpy: the reference every other backend is tested against."""

    name = "numpy"


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

    def _postfilter(self, q: np.ndarray, k: int, allowed: np.ndarray, need: int):
        """Unfiltered graph search for enough neighbours, keep the allowed ones; queries
        left with fewer than `need` go to the filtered walk (the base class then scores
        exactly if needed)."""
        import faiss

        fraction = max(len(allowed) / max(self.count, 1), 1e-6)
        # enough neighbours to expect `need` allowed ones (oversampled), and at least k
        kk = max(int(np.ceil(need / fraction * POSTFILTER_OVERSAMPLE)), k)
        kk = int(min(kk, POSTFILTER_MAX_K, len(self._ids)))
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
