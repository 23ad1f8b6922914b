"""txtai as a peer: the same passages, the same local model and the same queries, side by
side with the project's search core (index time, query latency, top-k overlap).

txtai settings: `Embeddings(path=<local model dir>, method="sentence-transformers",
backend="faiss", content=True)`; its sentence-transformers path adds the model's "query: "
prompt to queries, and `instructions={"data": "passage: "}` adds the E5 passage prefix, so
both systems embed exactly the same strings.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import latency_summary


def model_dir(settings: Any = None) -> Path:
    """The local directory of the default model (built by `practice-search model build`)."""
    try:
        from indexer.model_build import default_model_dir

        return Path(default_model_dir(settings))
    except (ImportError, AttributeError):
        return Path.home() / ".cache" / "practice-search" / "models" / "multilingual-e5-small"


def _forget_queries(embedder: Any) -> None:
    """Empty the embedder's query-vector cache, so that a timed search embeds its query.
    (Upper-casing the text instead, as this bench once did, changes its tokens: longer
    sequences, slower embeddings, a figure that is not the query's.)"""
    lru = getattr(embedder, "_query_lru", None)
    if lru is not None:
        with embedder._lru_lock:
            lru.clear()


def _overlap(a: list[str], b: list[str], k: int) -> float:
    return len(set(a[:k]) & set(b[:k])) / k if k else 0.0


def bench_txtai(
    index_dir: Path, corpus_dir: Path, queries: list[str], embedder: Any, *, k: int = 10,
    settings: Any = None, log=print,
) -> dict[str, Any]:
    """Index the corpus's passages with txtai and compare with our index at `index_dir`."""
    import numpy as np

    from corpus.ingest import load_corpus
    from indexer.search import SearchIndex

    try:
        from importlib.metadata import version

        from txtai import Embeddings
    except ImportError:
        return {"skipped": "txtai is not installed (pip install txtai)"}

    docs = load_corpus(corpus_dir, settings=settings).documents
    passages = [(p.id, p.text) for d in docs for p in d.passages]
    doc_of = {p.id: d.id for d in docs for p in d.passages}
    path = model_dir(settings)
    out: dict[str, Any] = {"txtai_version": version("txtai"), "model_path": str(path), "passages": len(passages)}

    emb = Embeddings(
        path=str(path), method="sentence-transformers", backend="faiss", content=True,
        instructions={"data": "passage: "},
    )
    t0 = time.perf_counter()
    emb.index([(pid, text, None) for pid, text in passages])
    out["txtai_index_s"] = round(time.perf_counter() - t0, 2)
    out["txtai_passages_per_s"] = round(len(passages) / (time.perf_counter() - t0), 2)
    tmp = Path(tempfile.mkdtemp(prefix="ps-bench-txtai-"))
    try:
        emb.save(str(tmp / "txtai"))
        out["txtai_index_bytes"] = sum(p.stat().st_size for p in (tmp / "txtai").rglob("*") if p.is_file())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ours = SearchIndex.open(index_dir, embedder=embedder, settings=settings)
    for q in ("warm-up one", "calentamiento dos"):
        emb.search(q, k)
        ours.search(q, mode="dense", k=k, group=False)

    t_txtai, t_dense, t_hybrid = [], [], []
    p_over, d_over = [], []
    for q in queries:
        t0 = time.perf_counter()
        res = emb.search(q, k)
        t_txtai.append((time.perf_counter() - t0) * 1000)
        _forget_queries(embedder)  # the same text as txtai's, embedded again: no query cache
        t0 = time.perf_counter()
        dense = ours.search(q, mode="dense", k=k, group=False)
        t_dense.append((time.perf_counter() - t0) * 1000)
        _forget_queries(embedder)
        t0 = time.perf_counter()
        ours.search(q, mode="hybrid", k=k, group=True)
        t_hybrid.append((time.perf_counter() - t0) * 1000)
        theirs = [r["id"] for r in res]
        mine = [p.passage_id for p in dense.passages]
        p_over.append(_overlap(mine, theirs, k))
        their_docs = list(dict.fromkeys(doc_of.get(i, i) for i in theirs))
        my_docs = list(dict.fromkeys(p.doc_id for p in dense.passages))
        kk = min(len(their_docs), len(my_docs))
        d_over.append(_overlap(my_docs, their_docs, kk) if kk else 0.0)
    out["queries"] = len(queries)
    out["txtai_search"] = latency_summary(t_txtai)
    out["ours_dense_search"] = latency_summary(t_dense)
    out["ours_hybrid_search"] = latency_summary(t_hybrid)
    out["passage_overlap@10_dense"] = round(float(np.mean(p_over)), 4)
    out["document_overlap_dense"] = round(float(np.mean(d_over)), 4)
    out["note"] = (
        "in-process search, one query at a time, each query text seen once per system; "
        "overlap: |our dense top-10 passages ∩ txtai top-10| / 10, averaged over queries"
    )
    log(
        f"  txtai {out['txtai_version']}: index {out['txtai_index_s']} s; search p50 {out['txtai_search']['p50_ms']:.1f} ms "
        f"(ours dense {out['ours_dense_search']['p50_ms']:.1f} ms, hybrid {out['ours_hybrid_search']['p50_ms']:.1f} ms); "
        f"top-10 passage overlap {out['passage_overlap@10_dense']:.2f}"
    )
    emb.close()
    return out
