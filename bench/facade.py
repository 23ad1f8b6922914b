"""The whole search path at scale: `SearchIndex.search` and its JSON over a synthetic
index of n passages, exactly as the service runs it (filters, BM25, dense scores, fusion,
the match-set counts, grouping by document, highlighting, `to_dict`).

Only the query embedding is replaced: the synthetic queries' vectors are looked up, so the
figures are the search path without the model (the model's single-query time is measured
by `practice-search model bench` and by the API runs). Documents, passages and vectors come
from `bench.synthetic` (the same vectors as the scale section, so its cached 1M HNSW graph
is reused); passage texts are drawn from a Zipf-distributed bilingual vocabulary so that
BM25 has realistic posting lists; each query's words come from its nearest passage.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.stats import latency_summary, rss_bytes
from bench.synthetic import COUNTRIES, SyntheticCorpus, make_corpus

#: Topic words the synthetic passages and queries are made of (with filler words below).
TOPIC_WORDS = (
    "migration migrants migrant refugees asylum protection trafficking smuggling border borders "
    "labour labor employment workers recruitment remittances diaspora return reintegration "
    "documentation identity regularization children women gender health education housing "
    "detention alternatives consular assistance integration inclusion xenophobia data statistics "
    "climate displacement evaluation lessons recommendations programme municipal government "
    "migración migrantes refugiados asilo protección trata tráfico frontera fronteras laboral "
    "empleo trabajadores reclutamiento remesas diáspora retorno reintegración documentación "
    "identidad regularización niñas niños mujeres género salud educación vivienda detención "
    "alternativas consular asistencia integración inclusión xenofobia datos estadísticas clima "
    "desplazamiento evaluación lecciones recomendaciones programa municipal gobierno"
).split()
FILLER_SYLLABLES = ("ka", "lo", "mi", "ter", "san", "vu", "po", "ren", "da", "fel", "qui", "mon")
WORDS_PER_PASSAGE = 40
QUERY_WORDS = 4
#: The filters measured: ~1% of documents (one country) and ~10% (one objective).
FILTERS: dict[str, dict[str, Any]] = {
    "unfiltered": {},
    "filtered_1pct": {"countries": (COUNTRIES[0],)},
    "filtered_10pct": {"objectives": (1,)},
}


def vocabulary(size: int = 8000) -> list[str]:
    """Topic words first (the most frequent under the Zipf draw), then made-up words."""
    filler = []
    for a in FILLER_SYLLABLES:
        for b in FILLER_SYLLABLES:
            for c in FILLER_SYLLABLES:
                filler.append(a + b + c)
    words = list(dict.fromkeys(TOPIC_WORDS)) + filler
    return words[:size]


def passage_texts(n: int, rng: np.random.Generator) -> list[str]:
    """n texts of WORDS_PER_PASSAGE words, ranks drawn from a Zipf law over the vocabulary."""
    vocab = np.array(vocabulary())
    ranks = (rng.zipf(1.2, size=(n, WORDS_PER_PASSAGE)) - 1) % len(vocab)
    return [" ".join(row) for row in vocab[ranks]]


class VectorLookup:
    """Stands in for the embedder: passages get the synthetic vectors in row order, queries
    the vector registered for their text. Speaks `indexer.embedder.Embedder`'s interface."""

    model_id = "synthetic-vectors"
    checksum = "synthetic"

    def __init__(self, vectors: np.ndarray):
        self.vectors = vectors
        self.dim = int(vectors.shape[1])
        self.queries: dict[str, np.ndarray] = {}

    def embed_passages(self, texts, progress: bool = False) -> np.ndarray:
        if len(texts) == len(self.vectors):
            return self.vectors
        # other texts (the GCM objectives' descriptions): random directions, fixed per text
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out

    def embed_queries(self, texts) -> np.ndarray:
        return np.stack([self.queries[t] for t in texts])


def synthetic_documents(c: SyntheticCorpus, texts: list[str], rng: np.random.Generator) -> list:
    """Documents of the synthetic corpus: its rows as passages (row order kept), one
    country and one objective per document as in `bench.synthetic`, a language, years."""
    from corpus.types import SECTION_KINDS, Countries, Document, Objectives, Passage

    n_docs = len(c.doc_country)
    bounds = np.searchsorted(c.row_doc, np.arange(n_docs + 1))
    langs = np.where(rng.random(n_docs) < 0.5, "es", "en")
    years = 2008 + rng.integers(0, 17, n_docs)
    docs = []
    for d in range(n_docs):
        doc_id = f"synthetic-{d:07d}"
        lang = str(langs[d])
        passages = tuple(
            Passage(
                id=f"{doc_id}#{i}", doc_id=doc_id, ordinal=i, text=texts[r],
                section_kind=SECTION_KINDS[i % len(SECTION_KINDS)], lang=lang,
            )
            for i, r in enumerate(range(int(bounds[d]), int(bounds[d + 1])))
        )
        docs.append(
            Document(
                id=doc_id, title=f"Synthetic practice {d}", source="synthetic", format="jsonl",
                passages=passages, languages=(lang,),
                countries=Countries(explicit=(COUNTRIES[int(c.doc_country[d])],)),
                objectives=Objectives(explicit=(int(c.doc_objective[d]),)),
                years=(int(years[d]),), doc_type="practice" if d % 3 else "evaluation",
            )
        )
    return docs


def build_synthetic_index(c: SyntheticCorpus, index_dir: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Build a flat index of the synthetic corpus through the product's own build path.
    Returns the stage timings and the embedder stand-in (queries registered)."""
    from indexer.build import build_index_from_documents

    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    texts = passage_texts(c.n, rng)
    docs = synthetic_documents(c, texts, rng)
    t_docs = time.perf_counter() - t0
    lookup = VectorLookup(c.vectors)
    t0 = time.perf_counter()
    report = build_index_from_documents(docs, index_dir, embedder=lookup, backend="flat")
    t_build = time.perf_counter() - t0
    # queries: a few words of each query's nearest passage, and the query's own vector
    nearest = np.argmax(c.queries @ c.vectors.T, axis=1) if c.n <= 200_000 else _nearest_chunked(c)
    qrng = np.random.default_rng(2)
    queries = []
    for i, r in enumerate(nearest):
        words = texts[int(r)].split()
        text = " ".join(qrng.choice(words, size=QUERY_WORDS, replace=False)) + f" q{i}"
        lookup.queries[text] = c.queries[i]
        queries.append(text)
    del docs, texts
    gc.collect()
    log(f"    built a {c.n:,}-passage synthetic index in {t_build:.1f} s (documents made in {t_docs:.1f} s)")
    return {"lookup": lookup, "queries": queries, "build_s": round(t_build, 1),
            "documents_s": round(t_docs, 1), "documents": report.documents, "passages": report.passages}


def _nearest_chunked(c: SyntheticCorpus) -> np.ndarray:
    best = np.full(len(c.queries), -np.inf, dtype=np.float32)
    arg = np.zeros(len(c.queries), dtype=np.int64)
    for s in range(0, c.n, 100_000):
        sc = c.queries @ c.vectors[s : s + 100_000].T
        a = np.argmax(sc, axis=1)
        v = sc[np.arange(len(a)), a]
        better = v > best
        best[better], arg[better] = v[better], s + a[better]
    return arg


def hnsw_variant(flat_dir: Path, dest: Path, backend_dir: Path) -> Path:
    """An index directory sharing the flat index's store and BM25 but searching the HNSW
    graph saved in `backend_dir` (same rows, same vectors)."""
    from indexer.build import resolve_index_dir

    version = resolve_index_dir(flat_dir)
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for part in ("store", "lexical"):
        os.symlink(version / part, dest / part)
    os.symlink(backend_dir.resolve(), dest / "vectors")
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["backend"] = "hnsw"
    (dest / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return dest


def _hnsw_backend_dir(c: SyntheticCorpus, cache_dir: Path | None, work: Path, log) -> tuple[Path, dict[str, Any]]:
    """The HNSW graph over the corpus vectors (product defaults): the scale section's cached
    one when present, else built now (and cached when large)."""
    from bench.scale import HNSW_PARAMS, build_or_reuse

    backend, record, cached = build_or_reuse("hnsw", dict(HNSW_PARAMS), c, cache_dir=cache_dir, log=log)
    if not record.get("reused"):
        log(f"    built the HNSW graph in {record['build_s']} s")
    if cached is None:
        cached = work / "hnsw-vectors"
        backend.save(cached)
    return cached, record


def measure(index, queries: list[str], filters, mode: str, n: int) -> dict[str, Any]:
    """One query at a time, as a request does: search (grouped, k=10, 3 passages per
    document) then `to_dict`. Latency excludes nothing but the (looked-up) embedding."""
    total, search, todict = [], [], []
    counts = []
    for q in queries[: min(5, len(queries))]:  # warm-up
        index.search(q, filters, mode=mode, k=10).to_dict()
    for q in queries[:n]:
        t0 = time.perf_counter()
        res = index.search(q, filters, mode=mode, k=10)
        t1 = time.perf_counter()
        res.to_dict()
        t2 = time.perf_counter()
        total.append((t2 - t0) * 1000)
        search.append((t1 - t0) * 1000)
        todict.append((t2 - t1) * 1000)
        counts.append(res.matched_documents)
    out = latency_summary(total)
    out["search_p50_ms"] = round(float(np.median(search)), 3)
    out["to_dict_p50_ms"] = round(float(np.median(todict)), 3)
    out["matched_documents_median"] = int(np.median(counts))
    out["queries"] = len(total)
    return out


def measure_facets(index, queries: list[str], filters, n: int) -> dict[str, Any]:
    """`SearchIndex.facets` for a query (the page asks for them with every search)."""
    index.facets(queries[0], filters)
    t = []
    for q in queries[:n]:
        t0 = time.perf_counter()
        index.facets(q, filters)
        t.append((time.perf_counter() - t0) * 1000)
    return latency_summary(t) | {"queries": len(t)}


def measure_browse(index, filters, n: int) -> dict[str, Any]:
    """Browsing: the filtered documents newest first (`browse` + `to_dict`), and the facets
    of an empty query, as the page asks for them on first load and at each filter click."""
    index.browse(filters, sort="published", k=10).to_dict()
    listing, facets = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        index.browse(filters, sort="published", k=10).to_dict()
        t1 = time.perf_counter()
        index.facets(None, filters)
        facets.append((time.perf_counter() - t1) * 1000)
        listing.append((t1 - t0) * 1000)
    return {"browse": latency_summary(listing) | {"runs": n}, "facets": latency_summary(facets) | {"runs": n}}


def run_facade(
    sizes: list[int], *, work_dir: Path, n_queries: int = 100, cache_dir: Path | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """facade[str(n)][backend][mode][filter] -> latency summary, plus build figures."""
    from indexer.search import SearchIndex
    from indexer.types import Filters

    results: dict[str, Any] = {}
    for n in sizes:
        work = Path(work_dir) / f"facade-{n}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            c = make_corpus(n, nq=max(n_queries, 20))
            log(f"  facade {n:,} passages")
            rss0 = rss_bytes()
            built = build_synthetic_index(c, work / "flat", log=log)
            entry: dict[str, Any] = {
                "passages": built["passages"], "documents": built["documents"],
                "build_s_without_model": built["build_s"], "backends": {},
            }
            lookup, queries = built["lookup"], built["queries"]
            dirs = {"flat": work / "flat"}
            hnsw_dir, record = _hnsw_backend_dir(c, cache_dir, work, log)
            dirs["hnsw"] = hnsw_variant(work / "flat", work / "hnsw", hnsw_dir)
            entry["hnsw_build_s"] = record["build_s"]
            entry["hnsw_build_reused"] = bool(record.get("reused"))
            del c
            gc.collect()
            for backend, d in dirs.items():
                gc.collect()
                r0 = rss_bytes()
                t0 = time.perf_counter()
                index = SearchIndex.open(d, embedder=lookup)
                load_s = time.perf_counter() - t0
                b: dict[str, Any] = {
                    "load_s": round(load_s, 1),
                    "rss_bytes_per_passage": round((rss_bytes() - r0) / n, 1) if r0 else None,
                }
                for mode in ("hybrid", "dense"):
                    b[mode] = {}
                    for fname, f in FILTERS.items():
                        s = measure(index, queries, Filters(**f) if f else None, mode, n_queries)
                        b[mode][fname] = s
                        log(
                            f"    {backend:5s} {mode:6s} {fname:14s} p50 {s['p50_ms']:8.2f} ms  p95 {s['p95_ms']:8.2f} ms  "
                            f"(search {s['search_p50_ms']:.2f}, to_dict {s['to_dict_p50_ms']:.2f}; {s['matched_documents_median']} docs matched)"
                        )
                b["worst_p50_ms"] = max(b[m][f]["p50_ms"] for m in ("hybrid", "dense") for f in FILTERS)
                b["facets"] = {fname: measure_facets(index, queries, Filters(**f) if f else None, min(n_queries, 30))
                               for fname, f in FILTERS.items()}
                log(f"    {backend:5s} facets (hybrid match set) p50 " + ", ".join(
                    f"{k} {v['p50_ms']:.1f} ms" for k, v in b["facets"].items()))
                b["browse"] = {fname: measure_browse(index, Filters(**f) if f else None, min(n_queries, 30))
                               for fname, f in FILTERS.items()}
                log(f"    {backend:5s} browse (no query) p50 " + ", ".join(
                    f"{k} {v['browse']['p50_ms']:.1f} ms + facets {v['facets']['p50_ms']:.1f} ms"
                    for k, v in b["browse"].items()))
                entry["backends"][backend] = b
                del index
            entry["rss_before_bytes"] = rss0
            results[str(n)] = entry
        finally:
            shutil.rmtree(work, ignore_errors=True)
            gc.collect()
    return results
