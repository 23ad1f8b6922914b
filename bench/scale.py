"""Search-core latency and recall at 10k-1M passages with synthetic vectors and metadata.

Drives the project's own vector backends (`indexer.backends`) through their public
interface, with allowed-row sets computed per query from synthetic document metadata
the way `indexer.store.MetadataStore.allowed_rows` does (a document mask, then the rows
of those documents from the per-document row index), so filter cost is inside the
measured latency. Ground truth is exact
numpy search over the same rows.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.stats import latency_summary, rss_bytes
from bench.synthetic import SyntheticCorpus, make_corpus
from indexer.backends import HNSWBackend, HNSWSQ8Backend

K = 10
#: HNSW parameters: the product's defaults (indexer.backends.HNSWBackend.DEFAULTS), so the
#: figures are what `PRACTICE_SEARCH_INDEX_BACKEND=hnsw` gives (the reasons for M=32,
#: efConstruction 128, efSearch 256 are at HNSWBackend.DEFAULTS; earlier sweeps in
#: reports/bench.tune-1m*.json).
HNSW_PARAMS = dict(HNSWBackend.DEFAULTS)
#: Compressed vector layouts measured beside the default ANN at sizes from
#: LAYOUTS_MIN_ROWS: memory per passage against recall and latency.
LAYOUTS: tuple[tuple[str, dict[str, Any]], ...] = (("hnsw-sq8", dict(HNSWSQ8Backend.DEFAULTS)),)
LAYOUTS_MIN_ROWS = 1_000_000
#: IVF parameters (kept for `bench.tune`; at 1M its recall on this data stays low).
IVF_PARAMS = {"nlist": 1024, "nprobe": 32}


_QUERY_THREADS: int | None = 1


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """Limit FAISS (OpenMP) and numpy BLAS threads to n inside the block."""
    if n is None:
        yield
        return
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # the FAISS limit still applies
            yield
            return
        with threadpool_limits(limits=n, user_api="blas"):
            yield
    finally:
        faiss.omp_set_num_threads(before)


def _filters(c: SyntheticCorpus) -> dict[str, Callable[[], np.ndarray]]:
    """Filter name -> function computing the allowed row ids (timed with each query), as
    `MetadataStore.allowed_rows` does for a selective document filter: a mask over the
    documents, then their rows gathered from the per-document row index."""
    from indexer.store import doc_row_index, rows_of_docs

    order, bounds = doc_row_index(c.row_doc, len(c.doc_country))  # built once, as at index load

    def country_pe() -> np.ndarray:  # ~1% of documents
        return rows_of_docs(order, bounds, np.flatnonzero(c.doc_country == 0))

    def objective_1() -> np.ndarray:  # ~10% of documents
        return rows_of_docs(order, bounds, np.flatnonzero(c.doc_objective == 1))

    return {"filtered_1pct": country_pe, "filtered_10pct": objective_1}


def exact_topk(c: SyntheticCorpus, rows: np.ndarray | None) -> np.ndarray:
    """Exact top-K row ids per query (ground truth), chunked to bound memory; padded with
    -1 when fewer than K rows are allowed."""
    out = np.full((len(c.queries), K), -1, dtype=np.int64)
    base = c.vectors if rows is None else c.vectors[rows]
    kk = min(K, len(base))
    if kk == 0:
        return out
    for s in range(0, len(c.queries), 32):
        sc = c.queries[s : s + 32] @ base.T
        part = np.argpartition(-sc, kk - 1, axis=1)[:, :kk]
        order = np.argsort(-np.take_along_axis(sc, part, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(part, order, axis=1)
        out[s : s + 32, :kk] = top if rows is None else rows[top]
    return out


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean |found ∩ truth| / |truth| over queries (truth padded with -1 is shorter)."""
    scores = []
    for f, t in zip(found, truth, strict=True):
        want = set(t[t >= 0].tolist())
        if want:
            scores.append(len(set(f[f >= 0].tolist()) & want) / len(want))
    return float(np.mean(scores)) if scores else 1.0


def index_bytes(backend) -> int:
    """Bytes the backend holds in memory (`VectorBackend.memory_bytes`: its own arrays and
    its FAISS index, each vector counted once)."""
    return int(backend.memory_bytes())


def _measure_queries(backend, c: SyntheticCorpus, allowed_fn, nq: int) -> tuple[list[float], list[float], np.ndarray]:
    """One query at a time (as the service does): latencies (ms), filter-part (ms), ids."""
    lat: list[float] = []
    filt: list[float] = []
    ids = np.full((nq, K), -1, dtype=np.int64)
    for i in range(nq):
        q = c.queries[i : i + 1]
        t0 = time.perf_counter()
        allowed = allowed_fn() if allowed_fn is not None else None
        t1 = time.perf_counter()
        _, found = backend.search(q, K, allowed_ids=allowed)
        t2 = time.perf_counter()
        lat.append((t2 - t0) * 1000)
        filt.append((t1 - t0) * 1000)
        ids[i] = found[0]
    return lat, filt, ids


#: Indexes at least this large are kept on disk between runs (a 1M HNSW build takes ~8 min).
CACHE_MIN_ROWS = 500_000


def _cache_path(cache_dir: Path | None, name: str, params: dict[str, Any], c: SyntheticCorpus,
                first_batch: int | None) -> Path | None:
    """Where a built index of this data and these parameters is kept (None: not cached).
    The key covers the generator's output itself (a hash of sampled vectors)."""
    if cache_dir is None or c.n < CACHE_MIN_ROWS or name in ("flat", "numpy"):
        return None
    h = hashlib.sha256(json.dumps([name, params, first_batch, c.vectors.shape], sort_keys=True).encode())
    h.update(np.ascontiguousarray(c.vectors[:: max(1, c.n // 4096)]).tobytes())
    return Path(cache_dir) / f"{name}-{c.n}-{h.hexdigest()[:16]}"


def _read_cached(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        record = json.loads((path / "bench_build.json").read_text())
    except (OSError, ValueError):
        return None
    record["reused"] = True
    return record


def _write_cached(backend, path: Path, record: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    backend.save(tmp)
    (tmp / "bench_build.json").write_text(json.dumps(record, indent=1))
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)


def build_or_reuse(
    name: str, params: dict[str, Any], c: SyntheticCorpus, *, first_batch: int | None = None,
    cache_dir: Path | None = None, log: Callable[[str], None] = print,
) -> tuple[Any, dict[str, Any], Path | None]:
    """A backend over the corpus vectors: the one built before from the same data and
    parameters when `cache_dir` keeps it (its record says so, with the build time measured
    then), else built now (and kept there when large). Returns (backend, record, the cached
    folder or None)."""
    from indexer.backends import BACKENDS, VectorBackend

    cached = _cache_path(cache_dir, name, params, c, first_batch)
    record = _read_cached(cached)
    if record is not None:  # the same synthetic data and parameters, built before
        t0 = time.perf_counter()
        backend = VectorBackend.load(cached)
        log(f"    {name:5s} reused the index built {record['built_at']} ({cached}) in {time.perf_counter() - t0:.1f} s")
        return backend, record, cached
    t0 = time.perf_counter()
    backend = BACKENDS[name](c.vectors.shape[1], **params)
    ids = np.arange(c.n)
    if first_batch and first_batch < c.n:  # IVF trains on its first batch
        backend.add(ids[:first_batch], c.vectors[:first_batch])
        backend.add(ids[first_batch:], c.vectors[first_batch:])
    else:
        backend.add(ids, c.vectors)
    record = {"build_s": round(time.perf_counter() - t0, 2), "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "loadavg_at_end": list(os.getloadavg())}
    if cached is not None:
        _write_cached(backend, cached, record)
        del backend
        gc.collect()
        backend = VectorBackend.load(cached)  # measured as a server holds it: loaded from disk
    elif getattr(backend, "maps_vectors", False):  # its served layout exists only once saved
        import tempfile

        with tempfile.TemporaryDirectory(prefix="ps-bench-layout-") as tmp:
            backend.save(tmp)
            del backend
            gc.collect()
            backend = VectorBackend.load(tmp)  # the mapping outlives the folder (Linux)
    return backend, record, cached


def bench_backend(
    name: str, params: dict[str, Any], c: SyntheticCorpus, truth: dict[str, np.ndarray], nq: int,
    *, first_batch: int | None = None, log: Callable[[str], None] = print, cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Build one backend over the corpus (or reuse the one built before from the same data,
    with its measured build time) and measure build time, memory, latency, recall."""
    gc.collect()
    rss0 = rss_bytes()
    backend, built_record, _ = build_or_reuse(name, params, c, first_batch=first_batch, cache_dir=cache_dir, log=log)
    build_s = built_record["build_s"]
    rss1 = rss_bytes()
    out: dict[str, Any] = {
        "backend": name,
        "params": params,
        "build_s": round(build_s, 2),
        "built_at": built_record["built_at"],
        "build_reused": bool(built_record.get("reused")),
        "rss_delta_bytes_per_passage": round((rss1 - rss0) / c.n, 1) if rss1 and rss0 else None,
    }
    size = index_bytes(backend)
    if size:
        out["index_bytes"] = size
        out["bytes_per_passage"] = round(size / c.n, 1)
    out["query_threads"] = _QUERY_THREADS or "library default"
    for fname, fn in [("unfiltered", None), *_filters(c).items()]:
        with _threads(_QUERY_THREADS):
            _measure_queries(backend, c, fn, min(5, nq))  # warm-up
            lat, filt, found = _measure_queries(backend, c, fn, nq)
        s = latency_summary(lat)
        s["filter_ms_p50"] = round(float(np.median(filt)), 3)
        s["recall@10"] = round(recall_at_k(found, truth[fname][:nq]), 4)
        s["queries"] = nq
        if fn is not None:
            s["allowed_rows"] = int(len(fn()))
        if fname == "unfiltered":
            out.update(s)
        else:
            out[fname] = s
        log(f"    {name:5s} {fname:14s} p50 {s['p50_ms']:8.3f} ms  p95 {s['p95_ms']:8.3f} ms  recall@10 {s['recall@10']:.3f}")
    # the facade (indexer.search) also scores every row exactly for its match set
    if hasattr(backend, "scores_all"):
        t = []
        with _threads(_QUERY_THREADS):
            for i in range(min(20, nq)):
                t0 = time.perf_counter()
                backend.scores_all(c.queries[i])
                t.append((time.perf_counter() - t0) * 1000)
        out["scores_all_p50_ms"] = round(float(np.median(t)), 3)
    out["worst_p50_ms"] = max(out["p50_ms"], *(out[f]["p50_ms"] for f in _filters(c)))
    out["worst_recall@10"] = min(out["recall@10"], *(out[f]["recall@10"] for f in _filters(c)))
    del backend
    gc.collect()
    return out


def run_scale(
    sizes: list[int], *, dim: int = 384, n_queries: int = 200, flat_queries: int = 50,
    ann_for: Callable[[int], tuple[str, dict[str, Any], int | None]] | None = None,
    query_threads: int | None = 1, log: Callable[[str], None] = print, cache_dir: Path | None = None,
    layouts: tuple[tuple[str, dict[str, Any]], ...] = LAYOUTS, layouts_min_rows: int = LAYOUTS_MIN_ROWS,
) -> dict[str, Any]:
    """Flat (exact) versus approximate backends at each size; returns scale[str(n)].

    `cache_dir`: approximate indexes of 500k+ rows are kept there and reused by later runs
    on the same synthetic data (their build time is the one measured when they were built).

    `query_threads`: FAISS/BLAS threads while queries run (1: one query per core, as a
    server answering concurrent requests would use; None: library defaults)."""
    ann_for = ann_for or default_ann
    results: dict[str, Any] = {}
    global _QUERY_THREADS
    _QUERY_THREADS = query_threads
    for n in sizes:
        t0 = time.perf_counter()
        c = make_corpus(n, dim=dim, nq=n_queries)
        gen_s = time.perf_counter() - t0
        log(f"  scale {n:,} passages (dim {dim}): synthetic data in {gen_s:.1f} s")
        t0 = time.perf_counter()
        truth = {"unfiltered": exact_topk(c, None)}
        for fname, fn in _filters(c).items():
            truth[fname] = exact_topk(c, fn())
        entry: dict[str, Any] = {
            "passages": n,
            "documents": int(c.row_doc[-1]) + 1,
            "dim": dim,
            "queries": n_queries,
            "k": K,
            "data": "clustered (1,000 per cluster, 24-dim subspaces + noise), queries near data points",
            "ground_truth_s": round(time.perf_counter() - t0, 2),
        }
        big = n >= 500_000  # fewer timed queries where each exact one takes ~0.1 s
        entry["flat"] = bench_backend("flat", {}, c, truth, min(flat_queries, 20 if big else n_queries), log=log)
        name, params, first = ann_for(n)
        # every query for the approximate index: recall@10 over 100 queries moved by +-0.01
        # between runs, as much as its distance to the 0.95 target
        entry["ann"] = bench_backend(name, params, c, truth, n_queries, first_batch=first, log=log, cache_dir=cache_dir)
        entry["memory_bytes_per_passage_vectors_only"] = dim * 4
        if n >= layouts_min_rows:
            entry["layouts"] = {
                lname: bench_backend(lname, dict(lparams), c, truth, n_queries, log=log, cache_dir=cache_dir)
                for lname, lparams in layouts
            }
        results[str(n)] = entry
        del c, truth
        gc.collect()
    return results


def default_ann(n: int) -> tuple[str, dict[str, Any], int | None]:
    """HNSW with the product defaults at every size.
    Returns (backend name, constructor params, first training batch)."""
    return "hnsw", dict(HNSW_PARAMS), None
