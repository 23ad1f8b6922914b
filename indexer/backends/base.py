"""The vector backend interface and the exact numpy reference.

Every backend holds L2-normalised float32 vectors under non-negative integer row ids
and scores by inner product. Filtered search happens inside the backend, never after
it: a small allowed set is scored exactly over exactly those rows; a large one goes to
the engine's own filtered search, and if the approximate search still comes back short
the allowed rows are scored exactly. So a filtered query returns k results whenever at
least k allowed rows exist (the txtai 301/915 failure mode is excluded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

#: Allowed sets at most this large (or this fraction of the index) are scored exactly.
EXACT_MAX_ROWS = 4096
EXACT_MAX_FRACTION = 0.05
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


@dataclass(frozen=True)
class Selection:
    """The filters behind an `allowed_ids` array, for backends that filter inside an
    engine of their own (Milvus evaluates them as an expression; the others ignore this
    and use the ids). `exclude_doc`: a document index whose rows are left out."""

    filters: Any = None
    exclude_doc: int | None = None
    #: how many rows pass (known to the caller's metadata store), for engines that widen
    #: their search under selective filters
    n_allowed: int | None = None


class VectorBackend:
    """Base class: vectors under row ids, with exact scoring of any row set (filtered
    search, reuse at re-index, document similarity).

    Where the vectors live is the subclass's choice, so each is held once: numpy and IVF
    keep a row-slot matrix (`_mat`); FAISS flat *is* such a matrix (`_mat` is a view of
    its storage); HNSW reads them from its graph's storage through a row -> node map."""

    name: ClassVar[str] = "base"
    #: Whether the backend is the vectors' only home in this process (False for engines
    #: that keep them elsewhere: no vectors.npy, no present.npy in its folder).
    local: ClassVar[bool] = True
    #: Whether the backend also holds each row's passage (`passage_records`), so that a
    #: serving process need not (`indexer.passages`).
    holds_passages: ClassVar[bool] = False
    #: Whether the backend also holds each row's BM25 weights and scores queries on them
    #: (`sparse_search`), so that a serving process holds no lexical index.
    holds_lexical: ClassVar[bool] = False

    def __init__(self, dim: int):
        self.dim = int(dim)
        self._mat = np.zeros((0, self.dim), dtype=np.float32)
        self._present = np.zeros(0, dtype=bool)

    # -- the interface -------------------------------------------------------------
    @property
    def count(self) -> int:
        return int(np.count_nonzero(self._present))

    def _checked(self, ids, vectors) -> tuple[np.ndarray, np.ndarray]:
        """ids and vectors as arrays, refused when their lengths differ or ids repeat."""
        ids = _as_ids(ids)
        vecs = _as_matrix(vectors, self.dim)
        if len(ids) != len(vecs):
            raise ValueError(f"{len(ids)} ids for {len(vecs)} vectors")
        if len(np.unique(ids)) != len(ids):
            raise ValueError("duplicate row ids in one add")
        return ids, vecs

    def add(self, ids, vectors) -> None:
        """Add vectors under the given row ids (ids must be new)."""
        ids, vecs = self._checked(ids, vectors)
        if len(ids) == 0:
            return
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

    def bind_rows(self, store, lexical=None) -> None:
        """Hook before `add` in a build: the metadata store whose rows the ids name, and
        the lexical index over them (engines that filter inside themselves copy the
        store's filter fields, and an engine that scores BM25 itself the rows' weights;
        others ignore both)."""

    def search(
        self, query_vectors, k: int, allowed_ids=None, *, min_results: int | None = None,
        selection: Selection | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids), each of shape (nq, k), padded with -inf / -1.

        With `allowed_ids`, only those rows are candidates, and k are returned whenever
        at least k of them are present. `min_results` < k relaxes that for callers that
        want up to k but can use fewer: an approximate search that finds at least
        `min_results` allowed rows is returned as it is, without the costlier filtered
        walk or exact scoring that completing it to k would take. `selection`: the
        filters `allowed_ids` came from (see `Selection`)."""
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
        if self._exact_size(n):
            return self._exact(q, k, allowed)
        scores, ids = self._search(q, k, allowed, need)
        want = min(need, n)
        short = (ids[:, :want] < 0).any(axis=1)
        if short.any():  # approximate search came back short: score the allowed rows exactly
            es, ei = self._exact(q[short], k, allowed)
            scores[short], ids[short] = es, ei
        return scores, ids

    def postfilter_depth(self, k: int, n_allowed: int, need: int | None = None) -> int | None:
        """How many unfiltered neighbours `search(q, k, allowed, min_results=need)` fetches
        and then filters, for a filter allowing `n_allowed` rows; None when it does not
        search that way (exact scoring, a filtered walk, or a filter inside the engine).
        Callers that need several filtered searches of one query cut them from one
        unfiltered search that deep."""
        return None

    def _exact_size(self, n: int) -> bool:
        """Whether a filter allowing n rows is scored exactly rather than searched."""
        return n == 0 or n <= EXACT_MAX_ROWS or n <= EXACT_MAX_FRACTION * self.count

    def _exact(self, q: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _topk(q @ self._rows(rows).T, rows, k)

    def passage_records(self, ids) -> dict[int, dict]:
        """Row id -> passage record of the given rows, for a backend that `holds_passages`
        (`to_passage` reads one)."""
        raise NotImplementedError(f"the {self.name} backend holds no passages")

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

    @staticmethod
    def read_meta(directory: str | Path) -> dict:
        """A saved backend's backend.json (which backend, its parameters, for engines
        where its rows are)."""
        return json.loads((Path(directory) / "backend.json").read_text())

    @classmethod
    def load(cls, directory: str | Path) -> VectorBackend:
        d = Path(directory)
        meta = cls.read_meta(d)
        from indexer.backends import BACKENDS

        klass = BACKENDS.get(meta["backend"])
        if klass is None:
            raise ValueError(f"unknown vector backend {meta['backend']!r} in {d}")
        obj = klass(meta["dim"], **klass._init_kwargs(meta))
        if klass.local:
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


