"""`MilvusBackend`: the vector backend contract on a Milvus collection.

The vectors and every filter field live in Milvus (one collection per index version,
`fields.add_fields`); the API process keeps no copy of them. A filtered query is one
Milvus ANN search whose filter is the expression of the user's filters
(`fields.expression`), so it returns k whenever k rows match, as the FAISS backends do;
when only row ids are given (no `Selection`), a small set is scored exactly from its
fetched vectors and a larger one becomes a ``row in [...]`` expression.

Index: HNSW (M 32, efConstruction 128, ef >= 256 at query time: the FAISS HNSW backend's
measured defaults) with inner product on L2-normalised vectors, so scores are the same
cosines as every other backend's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np

from indexer.backends import base
from indexer.backends.base import Selection, VectorBackend, _as_ids, _as_matrix, _topk
from indexer.backends.milvus import fields
from indexer.backends.milvus.client import MilvusUnavailable, connect, normalise_uri

#: Rows per insert call (a 384-d batch of 2,000 is ~3 MB, well under gRPC's 64 MB).
INSERT_ROWS = 2000
#: Ids per get/query call (an expression of this many ids parses in milliseconds).
FETCH_IDS = fields.MAX_IDS_PER_EXPRESSION
#: Milvus's largest top-k for one search.
MAX_TOPK = 16384
#: Under a filter passing a fraction f of the rows, ef grows by 1/f, at most this factor,
#: and to at most MAX_EF (bench: at 1M, a 1% filter at ef 256 found recall@10 0.735).
MAX_FILTER_WIDENING = 16.0
MAX_EF = 4096
#: A filtered search that comes back short is completed by exact scoring of the matching
#: rows when at most this many match (their vectors are fetched); beyond it, what the
#: ANN search found is returned.
EXACT_COMPLETION_MAX = 200_000


class MilvusBackend(VectorBackend):
    """Vectors and filter fields in one Milvus collection (see the module docstring)."""

    name = "milvus"
    local: ClassVar[bool] = False
    holds_passages: ClassVar[bool] = True
    #: each row holds its BM25 weights (`indexer.backends.milvus.lexical`)
    holds_lexical: ClassVar[bool] = True
    max_topk: ClassVar[int] = MAX_TOPK
    DEFAULTS: ClassVar[dict[str, int]] = {"m": 32, "ef_construction": 128, "ef_search": 256}

    def __init__(
        self,
        dim: int,
        uri: str | None = None,
        collection: str | None = None,
        *,
        m: int = 32,
        ef_construction: int = 128,
        ef_search: int = 256,
        settings=None,
    ):
        super().__init__(dim)
        if settings is None:
            from practice_search.config import get_settings

            settings = get_settings()
        self.uri = normalise_uri(uri or settings.milvus_uri)
        self.collection = collection or _scratch_name()
        self.m, self.ef_construction, self.ef_search = int(m), int(ef_construction), int(ef_search)
        self._settings = settings
        self._client = None
        self._count: int | None = None
        self._store = None
        self._lexical = None

    # -- connection and collection -------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            self._client = connect(self.uri, self._settings)
        return self._client

    def _call(self, what: str, fn, *args, **kwargs):
        """A Milvus call; its failure becomes MilvusUnavailable naming what was being done.
        A collection found released (Milvus restarted since it was loaded) is loaded again
        and the call made once more."""
        try:
            return fn(*args, **kwargs)
        except MilvusUnavailable:
            raise
        except Exception as e:  # noqa: BLE001  pymilvus raises several types
            if what != "load_collection" and _not_loaded(e):
                try:
                    self.client.load_collection(self.collection)
                    return fn(*args, **kwargs)
                except Exception as again:  # noqa: BLE001
                    e = again
            msg = (getattr(e, "message", None) or str(e) or type(e).__name__).splitlines()[0][:300]
            raise MilvusUnavailable(f"Milvus {what} failed on {self.collection} at {self.uri}: {msg}") from e

    def exists(self) -> bool:
        return bool(self._call("has_collection", self.client.has_collection, self.collection))

    def _ensure(self) -> None:
        if self.exists():
            return
        from pymilvus import MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        fields.add_fields(schema, self.dim)
        ip = self.client.prepare_index_params()
        ip.add_index("vec", index_type="HNSW", metric_type="IP",
                     params={"M": self.m, "efConstruction": self.ef_construction})
        ip.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        self._call("create_collection", self.client.create_collection, self.collection, schema=schema, index_params=ip)
        self._count = 0

    def bind_rows(self, store, lexical=None) -> None:
        self._store, self._lexical = store, lexical

    # -- the interface -------------------------------------------------------------
    @property
    def count(self) -> int:
        if self._count is None:
            if not self.exists():
                self._count = 0
            else:
                res = self._call("count", self.client.query, self.collection, filter="", output_fields=["count(*)"])
                self._count = int(res[0]["count(*)"])
        return self._count

    def add(self, ids, vectors) -> None:
        ids, vecs = self._checked(ids, vectors)
        if len(ids) == 0:
            return
        self._ensure()
        if self.count and len(self._present_of(ids)):
            raise ValueError("row ids already present; delete them first")
        for s in range(0, len(ids), INSERT_ROWS):
            recs = fields.records(self._store, ids[s : s + INSERT_ROWS], vecs[s : s + INSERT_ROWS], self._lexical)
            self._call("insert", self.client.insert, self.collection, recs)
        self._count = self.count + len(ids)

    def delete(self, ids) -> None:
        ids = self._present_of(_as_ids(ids))
        if len(ids) == 0:
            return
        for s in range(0, len(ids), FETCH_IDS):
            self._call("delete", self.client.delete, self.collection, ids=ids[s : s + FETCH_IDS].tolist())
        self._count = self.count - len(ids)

    def vectors(self, ids) -> np.ndarray:
        ids = _as_ids(ids)
        found = self._fetch(ids)
        try:
            return np.stack([found[r] for r in ids.tolist()]) if len(ids) else np.empty((0, self.dim), np.float32)
        except KeyError:
            raise KeyError("unknown row id") from None

    def _fetch(self, ids: np.ndarray) -> dict[int, np.ndarray]:
        """Row id -> vector for the given ids that the collection holds."""
        return {int(rec["row"]): np.asarray(rec["vec"], dtype=np.float32) for rec in self._get(ids, ["vec"])}

    def _get(self, ids, output_fields: list[str]):
        """The records of the given row ids that the collection holds, FETCH_IDS per call."""
        uniq = np.unique(_as_ids(ids))
        for s in range(0, len(uniq), FETCH_IDS):
            yield from self._call("get", self.client.get, self.collection, ids=uniq[s : s + FETCH_IDS].tolist(),
                                  output_fields=output_fields)

    def passage_records(self, ids) -> dict[int, dict]:
        """Row id -> the passage fields (`fields.PASSAGE_FIELDS`) of the given rows that
        hold a passage (rows added without a store hold none)."""
        return {int(rec["row"]): rec for rec in self._get(ids, fields.PASSAGE_FIELDS) if rec.get("passage")}

    @staticmethod
    def to_passage(rec: dict, doc_ids):
        """The `Passage` of a passage record; `doc_ids[d]`: the id of document index d."""
        return fields.passage_of(rec, doc_ids[int(rec["doc"])])

    def sparse_search(self, queries: list[dict[int, float]], limit: int, expr: str = "") -> list[list[tuple[int, float]]]:
        """Per sparse query (token id -> weight), the top `limit` (row, inner product with
        the row's BM25 weights) among the rows `expr` passes, in one Milvus call."""
        if self.count == 0 or not queries:
            return [[] for _ in queries]
        res = self._call(
            "bm25 search", self.client.search, self.collection, data=queries, anns_field="bm25",
            limit=min(int(limit), MAX_TOPK), filter=expr, output_fields=["row"], search_params={"metric_type": "IP"},
        )
        return [[(int(h["row"]), float(h["distance"])) for h in hits] for hits in res]

    def scores_all(self, query_vector: np.ndarray) -> np.ndarray:
        raise NotImplementedError("the milvus backend does not scan every row; search it")

    def search(
        self, query_vectors, k: int, allowed_ids=None, *, min_results: int | None = None,
        selection: Selection | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        q = _as_matrix(query_vectors, self.dim)
        k = int(k)
        if k <= 0:
            raise ValueError("k must be positive")
        if self.count == 0:
            return _none(len(q), k)
        allowed = None
        if selection is not None:
            expr = fields.expression(selection.filters, selection.exclude_doc)
        elif allowed_ids is None:
            expr = ""
        else:
            allowed = np.unique(_as_ids(allowed_ids))
            n = len(allowed)
            if n == 0 or n <= base.EXACT_MAX_ROWS or n <= base.EXACT_MAX_FRACTION * self.count:
                found = self._fetch(allowed)  # the allowed rows it holds, scored exactly
                if not found:
                    return _none(len(q), k)
                rows = np.array(sorted(found), dtype=np.int64)
                return _topk(q @ np.stack([found[r] for r in rows.tolist()]).T, rows, k)
            expr = fields.rows_expression(allowed)
        ef = max(self.ef_search, k)
        n_allowed = selection.n_allowed if selection is not None else (len(allowed) if allowed is not None else None)
        if expr and n_allowed and self.count:
            # HNSW under a filter skips the nodes it may not return: widen the search by the
            # filter's selectivity (as the FAISS HNSW backend does), within bounds
            ef = int(min(ef * min(self.count / n_allowed, MAX_FILTER_WIDENING), MAX_EF))
        scores, ids = self._ann(q, min(k, MAX_TOPK), expr, ef)
        if k > scores.shape[1]:  # beyond Milvus's largest top-k: padded
            scores, ids = _pad(scores, ids, k)
        if expr:
            need = k if min_results is None else max(1, min(int(min_results), k))
            short = (ids[:, : min(need, MAX_TOPK)] < 0).any(axis=1)
            if short.any():
                self._complete(q, k, expr, short, scores, ids)
        return scores, ids

    def _ann(self, q: np.ndarray, k: int, expr: str, ef: int) -> tuple[np.ndarray, np.ndarray]:
        res = self._call(
            "search", self.client.search, self.collection, data=[v for v in q], anns_field="vec", limit=k,
            filter=expr, output_fields=["row"],
            search_params={"metric_type": "IP", "params": {"ef": max(ef, k)}},
        )
        scores = np.full((len(q), k), -np.inf, dtype=np.float32)
        ids = np.full((len(q), k), -1, dtype=np.int64)
        for i, hits in enumerate(res):
            for j, h in enumerate(hits[:k]):
                ids[i, j] = int(h["row"])
                scores[i, j] = float(h["distance"])
        return scores, ids

    def _complete(self, q, k, expr, short, scores, ids) -> None:
        """Exact scoring of the matching rows for the queries an ANN search left short."""
        res = self._call("count", self.client.query, self.collection, filter=expr, output_fields=["count(*)"])
        n = int(res[0]["count(*)"])
        have = int((ids[short][:, :k] >= 0).sum(axis=1).min())
        if n <= have or n > EXACT_COMPLETION_MAX:
            return
        rows = np.array(sorted(int(r["row"]) for r in self._call(
            "query", self.client.query, self.collection, filter=expr, output_fields=["row"], limit=n)), dtype=np.int64)
        es, ei = _topk(q[short] @ self.vectors(rows).T, rows, k)
        scores[short], ids[short] = es, ei

    def _present_of(self, ids: np.ndarray) -> np.ndarray:
        """The given row ids that the collection holds (sorted)."""
        if len(ids) == 0 or not self.exists():
            return np.zeros(0, dtype=np.int64)
        out: list[int] = []
        uniq = np.unique(ids)
        for s in range(0, len(uniq), FETCH_IDS):
            part = uniq[s : s + FETCH_IDS]
            recs = self._call("query", self.client.query, self.collection,
                              filter=fields.rows_expression(part), output_fields=["row"], limit=len(part))
            out.extend(int(r["row"]) for r in recs)
        return np.array(sorted(out), dtype=np.int64)

    def memory_bytes(self) -> int:
        """Bytes held in this process: none per row (the vectors live in Milvus)."""
        return 0

    # -- persistence ---------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """backend.json only: where the collection is (the URI without credentials) and
        its index parameters; the rows stay in Milvus, flushed to its storage here."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self._ensure()
        self._call("flush", self.client.flush, self.collection)
        meta = {"backend": self.name, "dim": self.dim, "uri": self.uri, "collection": self.collection,
                "schema": fields.SCHEMA_VERSION,
                "m": self.m, "ef_construction": self.ef_construction, "ef_search": self.ef_search}
        (d / "backend.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def _init_kwargs(cls, meta: dict) -> dict:
        from practice_search.config import get_settings

        return {"uri": get_settings().milvus_uri or meta["uri"], "collection": meta["collection"],
                "m": meta.get("m", 32), "ef_construction": meta.get("ef_construction", 128),
                "ef_search": meta.get("ef_search", 256)}

    def _load(self, d: Path, meta: dict) -> None:
        if meta.get("schema", 1) != fields.SCHEMA_VERSION:
            raise MilvusUnavailable(
                f"this index's Milvus collection {self.collection} has the layout of schema "
                f"{meta.get('schema', 1)}, this version reads schema {fields.SCHEMA_VERSION}; build the index again"
            )
        if not self.exists():
            raise MilvusUnavailable(
                f"this index's Milvus collection {self.collection} is not in Milvus at {self.uri} "
                "(dropped, or another Milvus); build the index again"
            )
        self._call("load_collection", self.client.load_collection, self.collection)

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None


def _not_loaded(e: Exception) -> bool:
    """Whether a pymilvus error says the collection is not loaded (code 101)."""
    msg = str(getattr(e, "message", None) or e)
    return getattr(e, "code", None) == 101 or "call load()" in msg or "not loaded" in msg


def _none(nq: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return _topk(np.zeros((nq, 0), np.float32), np.zeros(0, np.int64), k)


def _pad(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    extra = k - scores.shape[1]
    return (np.pad(scores, ((0, 0), (0, extra)), constant_values=-np.inf),
            np.pad(ids, ((0, 0), (0, extra)), constant_values=-1))


def _scratch_name() -> str:
    import uuid

    return f"ps_scratch_{uuid.uuid4().hex[:12]}"
