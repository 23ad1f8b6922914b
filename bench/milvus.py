"""Milvus beside FAISS, in one run (`make bench`, section "milvus"):

1. **Scale**: the scale section's synthetic passages (same generator, same queries, same
   1% and 10% filters) written to a Milvus Lite server with their filter fields, queried
   through `MilvusBackend` with the filters as Milvus expressions; p50/p95 per query,
   recall@10 against exact search, build time and the server's resident memory.
2. **API**: the sample corpus indexed twice (FAISS flat, Milvus), one server each, the
   same fresh queries sent to both in turn by one client: p50/p95 side by side.
3. **Ray indexing**: the sample corpus indexed with every passage embedded, plain and
   with `--ray` on a local Ray of this machine's cores, passages/s side by side.
"""

from __future__ import annotations

import gc
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.scale import K, exact_topk, recall_at_k
from bench.stats import latency_summary, rss_bytes
from bench.synthetic import COUNTRIES, make_corpus
from indexer.backends.base import Selection
from indexer.backends.milvus import MilvusBackend, fields
from indexer.backends.milvus.server import MilvusServer
from indexer.types import Filters

#: The scale section's filters, as the user's filters (country PE ~1%, objective 1 ~10%).
FILTERS = {"filtered_1pct": Filters(countries=("PE",)), "filtered_10pct": Filters(objectives=(1,))}
INSERT_ROWS = 5000


def _records(c, start: int, stop: int) -> list[dict]:
    out = []
    for r in range(start, stop):
        d = int(c.row_doc[r])
        rec = fields.empty_record(r)
        rec.update({"doc": d, "vec": c.vectors[r],
                    "tags": fields.tags({"explicit": [COUNTRIES[int(c.doc_country[d])]]},
                                        {"explicit": [int(c.doc_objective[d])]}, "en", "other")})
        out.append(rec)
    return out


def _wait_indexed(b: MilvusBackend, timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = b.client.describe_index(b.collection, "vec")
        if int(info.get("pending_index_rows", 0)) == 0 and int(info.get("indexed_rows", 0)) >= b.count:
            return
        time.sleep(1)


def bench_milvus_scale(sizes: list[int], *, n_queries: int = 200, log=print) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="ps-bench-milvus-"))
    server = MilvusServer(work / "data")
    out: dict[str, Any] = {"engine": "Milvus Lite server (milvus-lite server), one process on this machine",
                           "index": dict(MilvusBackend.DEFAULTS)}
    try:
        for n in sizes:
            c = make_corpus(n, nq=n_queries)
            truth = {"unfiltered": exact_topk(c, None)}
            docs_of = {}
            for fname, f in FILTERS.items():
                docs_of[fname] = np.flatnonzero(c.doc_country == 0) if f.countries else np.flatnonzero(c.doc_objective == 1)
                truth[fname] = exact_topk(c, np.flatnonzero(np.isin(c.row_doc, docs_of[fname])))
            rss0 = rss_bytes(server.pid)
            b = MilvusBackend(c.vectors.shape[1], uri=server.uri, collection=f"bench_{n}")
            if b.exists():
                b.client.drop_collection(b.collection)
            b._ensure()
            t0 = time.perf_counter()
            for s in range(0, n, INSERT_ROWS):
                b.client.insert(b.collection, _records(c, s, min(s + INSERT_ROWS, n)))
            insert_s = time.perf_counter() - t0
            b.client.flush(b.collection)
            _wait_indexed(b)
            b._count = None
            build_s = time.perf_counter() - t0
            entry: dict[str, Any] = {"passages": n, "insert_s": round(insert_s, 1), "build_s": round(build_s, 1),
                                     "server_rss_bytes_per_passage": round((rss_bytes(server.pid) - rss0) / n, 1)}
            log(f"  milvus {n:,}: inserted in {insert_s:.1f} s, flushed and indexed in {build_s:.1f} s")
            for fname in ("unfiltered", *FILTERS):
                # the allowed count comes from the metadata store in the product (indexer.search)
                n_allowed = int(np.isin(c.row_doc, docs_of[fname]).sum()) if fname in FILTERS else None
                sel = Selection(FILTERS[fname], n_allowed=n_allowed) if fname in FILTERS else None
                for i in range(5):  # warm-up
                    b.search(c.queries[i : i + 1], K, selection=sel)
                lat, found = [], np.full((n_queries, K), -1, dtype=np.int64)
                for i in range(n_queries):
                    t = time.perf_counter()
                    _, ids = b.search(c.queries[i : i + 1], K, selection=sel)
                    lat.append((time.perf_counter() - t) * 1000)
                    found[i] = ids[0]
                s = latency_summary(lat)
                s["recall@10"] = round(recall_at_k(found, truth[fname]), 4)
                s["returned_k"] = bool((found >= 0).all())
                entry[fname] = s
                log(f"    milvus {fname:14s} p50 {s['p50_ms']:8.3f} ms  p95 {s['p95_ms']:8.3f} ms  "
                    f"recall@10 {s['recall@10']:.3f}")
            out[str(n)] = entry
            b.client.drop_collection(b.collection)
            del c, truth
            gc.collect()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return out


def bench_milvus_api(corpus: Path, queries: list[str], *, log=print) -> dict[str, Any]:
    """One client, the same fresh queries to a FAISS-flat server and a Milvus server in
    turn (alternating which goes first)."""
    import contextlib

    import httpx

    from bench.api import serve
    from indexer.build import build_index, get_embedder

    work = Path(tempfile.mkdtemp(prefix="ps-bench-milvus-api-"))
    milvus = MilvusServer(work / "data")
    try:
        embedder = get_embedder()
        build_index(corpus, work / "flat", embedder=embedder)
        build_index(corpus, work / "milvus", embedder=embedder, backend="milvus", milvus_uri=milvus.uri)
        lat: dict[str, list[float]] = {"flat": [], "milvus": []}
        with contextlib.ExitStack() as stack, httpx.Client(timeout=60) as http:
            urls = {name: stack.enter_context(serve(work / name))[0] for name in ("flat", "milvus")}
            for url in urls.values():
                for i in range(5):
                    http.get(f"{url}/search", params={"q": f"warm-up {i} migration"})
            for i, q in enumerate(queries):
                order = ["flat", "milvus"] if i % 2 == 0 else ["milvus", "flat"]
                for name in order:
                    t = time.perf_counter()
                    r = http.get(f"{urls[name]}/search", params={"q": q})
                    lat[name].append((time.perf_counter() - t) * 1000)
                    r.raise_for_status()
        out: dict[str, Any] = {name: latency_summary(v) for name, v in lat.items()}
        out["queries"] = len(queries)
        out["milvus_over_flat_p50"] = round(out["milvus"]["p50_ms"] / out["flat"]["p50_ms"], 2)
        log(f"  API one client: flat p50 {out['flat']['p50_ms']} ms, milvus p50 {out['milvus']['p50_ms']} ms "
            f"({out['milvus_over_flat_p50']}x)")
        return out
    finally:
        milvus.stop()
        shutil.rmtree(work, ignore_errors=True)


_STATE_RSS = """
import gc, json, sys
from pathlib import Path
import bm25s  # imported before measuring: its import is not per passage
from bench.stats import rss_bytes
from indexer.backends import VectorBackend
from indexer.backends.milvus.lexical import MilvusLexical
from indexer.lexical import LexicalIndex
from indexer.store import MetadataStore
version, mode, whole_lexical = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
vectors = VectorBackend.load(version / "vectors")
gc.collect(); r0 = rss_bytes()
store = (MetadataStore.load_serving(version / "store", vectors) if mode == "serving"
         else MetadataStore.load(version / "store"))
gc.collect(); r1 = rss_bytes()
lexical = (MilvusLexical.load(version / "lexical", vectors) if mode == "serving"
           else LexicalIndex.load(whole_lexical))
gc.collect(); r2 = rss_bytes()
print(json.dumps({"store": r1 - r0, "lexical": r2 - r1, "rows": store.n_rows}))
"""


def bench_serving_memory(n: int, *, log=print) -> dict[str, Any]:
    """What a serving process holds per passage for a Milvus index, as served now (the
    documents' metadata and three row columns; the BM25 vocabulary; passages and BM25
    weights in Milvus) beside what it held before (the whole store, every passage's
    text and id, and the whole BM25 index), each loaded in a fresh process. Synthetic
    documents of 160-word passages (about 1 KB)."""
    import subprocess
    import sys

    from bench.facade import VectorLookup, passage_texts, synthetic_documents
    from indexer.build import build_index_from_documents, resolve_index_dir
    from indexer.lexical import LexicalIndex
    from indexer.store import MetadataStore

    work = Path(tempfile.mkdtemp(prefix="ps-bench-serving-"))
    server = MilvusServer(work / "data")
    try:
        c = make_corpus(n, nq=1)
        rng = np.random.default_rng(3)
        parts = [passage_texts(n, rng) for _ in range(4)]
        texts = [" ".join(t) for t in zip(*parts, strict=True)]
        docs = synthetic_documents(c, texts, rng)
        t0 = time.perf_counter()
        build_index_from_documents(docs, work / "ix", embedder=VectorLookup(c.vectors), backend="milvus",
                                   milvus_uri=server.uri)
        build_s = time.perf_counter() - t0
        del docs, parts
        version = resolve_index_dir(work / "ix")
        whole_lexical = work / "lexical-whole"  # what a serving process loaded before
        store = MetadataStore.load(version / "store")
        LexicalIndex.build([p.text for p in store.passages], [p.lang for p in store.passages]).save(whole_lexical)
        del store
        out: dict[str, Any] = {"passages": n, "words_per_passage": 160, "build_s": round(build_s, 1),
                               "text_bytes_per_passage": round(sum(len(t.encode()) for t in texts) / n, 1)}
        root = Path(__file__).resolve().parent.parent
        for mode in ("whole", "serving"):
            res = subprocess.run([sys.executable, "-c", _STATE_RSS, str(version), mode, str(whole_lexical)], capture_output=True,
                                 text=True, check=True, cwd=root, timeout=1800)
            got = json.loads(res.stdout.strip().splitlines()[-1])
            out[mode] = {"store_bytes_per_passage": round(got["store"] / n, 1),
                         "lexical_bytes_per_passage": round(got["lexical"] / n, 1)}
        log(f"  serving memory at {n:,} passages: store {out['whole']['store_bytes_per_passage']} B/passage whole, "
            f"{out['serving']['store_bytes_per_passage']} B/passage as served; "
            f"BM25 {out['whole']['lexical_bytes_per_passage']} B/passage whole, "
            f"{out['serving']['lexical_bytes_per_passage']} B/passage as served")
        return out
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def bench_ray_indexing(corpus: Path, *, log=print) -> dict[str, Any]:
    """Every passage embedded (fresh embedding caches), plain then on a local Ray."""
    from indexer.build import build_index, get_embedder
    from indexer.distributed import RayOptions
    from practice_search.config import Settings

    out: dict[str, Any] = {}
    work = Path(tempfile.mkdtemp(prefix="ps-bench-ray-"))
    try:
        embedder = get_embedder()
        for name in ("plain", "ray"):
            settings = Settings(home=work / f"home-{name}")
            opts = RayOptions() if name == "ray" else None
            embed = _Uncached(embedder)
            t0 = time.perf_counter()
            report = build_index(corpus, work / name, embedder=embed, settings=settings, ray=opts)
            wall = time.perf_counter() - t0
            out[name] = {"passages": report.passages, "embedded": report.embedded, "build_s": round(wall, 2),
                         "passages_per_s": round(report.passages / wall, 2)}
            if opts is not None:
                out[name]["ray"] = dict(opts.stats)
            log(f"  indexing {name}: {report.passages} passages in {wall:.1f} s -> {out[name]['passages_per_s']} /s")
        out["ray_over_plain"] = round(out["ray"]["passages_per_s"] / out["plain"]["passages_per_s"], 2)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


class _Uncached:
    """The embedder with the embedding cache bypassed (as bench.indexing measures); on
    Ray the build then caches into the run's fresh home, which starts empty."""

    cache = None

    def __init__(self, embedder):
        self._e = embedder

    def __getattr__(self, name):
        return getattr(self._e, name)

    def embed_passages(self, texts, progress: bool = False):
        uncached = getattr(self._e, "embed_passages_uncached", None)
        return uncached(texts, progress) if uncached else self._e.embed_passages(texts, progress)


#: Passages of the serving-memory measurement (the full bench; `--quick` measures at its own size).
SERVING_MEMORY_PASSAGES = 100_000


def run_milvus(sizes: list[int], corpus: Path, queries: list[str], *, n_queries: int,
               serving_passages: int = SERVING_MEMORY_PASSAGES, log=print) -> dict[str, Any]:
    """The section: scale, API side by side, a serving process's memory, Ray indexing side by side."""
    from bench.cli import _guard

    out: dict[str, Any] = {"scale": _guard(lambda: bench_milvus_scale(sizes, n_queries=n_queries, log=log), log)}
    log("  API on the sample corpus, FAISS flat beside Milvus")
    out["api"] = _guard(lambda: bench_milvus_api(corpus, queries, log=log), log)
    log("  a serving process's memory per passage")
    out["serving_memory"] = _guard(lambda: bench_serving_memory(serving_passages, log=log), log)
    log("  indexing, plain beside Ray")
    out["ray_indexing"] = _guard(lambda: bench_ray_indexing(corpus, log=log), log)
    return out


def milvus_targets(bench: dict[str, Any], put) -> None:
    mv = bench.get("milvus") or {}
    one_m = (mv.get("scale") or {}).get("1000000") or {}
    for f in ("unfiltered", "filtered_1pct", "filtered_10pct"):
        r = one_m.get(f) or {}
        if r.get("recall@10") is not None:
            put(f"milvus_1m_recall@10 ({f})", r["recall@10"], 0.95, r["recall@10"] >= 0.95)
    ratio = (mv.get("api") or {}).get("milvus_over_flat_p50")
    if ratio is not None:
        put("milvus_api_p50_over_flat (one client, sample corpus)", ratio, 2.0, ratio <= 2.0)


def milvus_markdown(mv: dict[str, Any]) -> list[str]:
    if not mv:
        return []
    lines = ["## Milvus beside FAISS (same run)", ""]
    scale = mv.get("scale") or {}
    if "error" in scale:
        lines += [f"Scale section failed: `{scale['error']}`", ""]
    rows = [(k, v) for k, v in scale.items() if k.isdigit()]
    if rows:
        lines += [f"{scale.get('engine', '')}; HNSW {scale.get('index', {})}; filters as Milvus expressions.", "",
                  "| passages | build s | server RSS B/passage | unfiltered p50 / p95 ms | recall@10 | 1% p50 ms | "
                  "recall@10 | 10% p50 ms | recall@10 |", "|---|---|---|---|---|---|---|---|---|"]
        for k, v in rows:
            u, a, b = v["unfiltered"], v["filtered_1pct"], v["filtered_10pct"]
            lines.append(f"| {int(k):,} | {v['build_s']} | {v['server_rss_bytes_per_passage']} | "
                         f"{u['p50_ms']} / {u['p95_ms']} | {u['recall@10']} | {a['p50_ms']} | {a['recall@10']} | "
                         f"{b['p50_ms']} | {b['recall@10']} |")
        lines.append("")
    api = mv.get("api") or {}
    if api.get("flat"):
        lines += [f"API, one client, {api['queries']} fresh queries sent to both servers in turn: FAISS flat p50 "
                  f"{api['flat']['p50_ms']} ms (p95 {api['flat']['p95_ms']}), Milvus p50 {api['milvus']['p50_ms']} ms "
                  f"(p95 {api['milvus']['p95_ms']}): {api['milvus_over_flat_p50']}x.", ""]
    sm = mv.get("serving_memory") or {}
    if sm.get("whole"):
        lines += [f"A serving process's memory for a Milvus index, {sm['passages']:,} synthetic passages of "
                  f"{sm['words_per_passage']} words ({sm['text_bytes_per_passage']} bytes of text each), each part "
                  f"loaded in a fresh process: the store as served (documents' metadata and three row columns; "
                  f"passages fetched from Milvus) {sm['serving']['store_bytes_per_passage']} B a passage, against "
                  f"{sm['whole']['store_bytes_per_passage']} B for the whole store with every passage; the BM25 "
                  f"index, still held, {sm['serving']['lexical_bytes_per_passage']} B a passage.", ""]
    ray = mv.get("ray_indexing") or {}
    if ray.get("plain"):
        r = ray["ray"].get("ray", {})
        lines += [f"Indexing the sample corpus, every passage embedded: plain {ray['plain']['passages_per_s']} "
                  f"passages/s, on a local Ray {ray['ray']['passages_per_s']} passages/s ({ray['ray_over_plain']}x; "
                  f"{r.get('actors')} actors, embedding stage {r.get('passages_per_second')} passages/s, "
                  f"reading on Ray {r.get('read_seconds')} s).", ""]
    return lines
