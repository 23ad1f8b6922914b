"""Where one query's time goes, in process: query embedding, the facade's search (and,
from cProfile, its parts: BM25, exact scoring, FAISS, fusion, grouping, highlighting),
turning the result into the contract's dict, response-model validation and JSON."""

from __future__ import annotations

import cProfile
import functools
import html
import json
import os
import pstats
import re
import time
from pathlib import Path
from typing import Any

from bench.stats import latency_summary

_WORD = re.compile(r"\w+", re.UNICODE)


def _response_serialiser():
    """What FastAPI does with a route's dict: validate it with the response model, dump it
    to JSON-able Python, encode JSON. None when the service schemas cannot be imported."""
    try:
        from pydantic import TypeAdapter

        from service.schemas import SearchResponse as SearchResponsePublic
    except ImportError:
        return None
    adapter = TypeAdapter(SearchResponsePublic)

    def serialise(d: dict[str, Any]) -> bytes:
        obj = adapter.validate_python(d)
        return json.dumps(adapter.dump_python(obj, mode="json"), ensure_ascii=False).encode()

    return serialise


def profile_search(index_dir: Path, queries: list[str], embedder: Any, *, log=print) -> dict[str, Any]:
    """Per-stage medians over `queries` (each text new to the embedder's query cache), and a
    cProfile of the search without the embedding."""
    from indexer.search import SearchIndex

    idx = SearchIndex.open(index_dir, embedder=embedder)
    serialise = _response_serialiser()
    idx.search("calentamiento", k=10)
    stages: dict[str, list[float]] = {
        "embed_query": [], "search_without_embed": [], "to_dict": [], "validate_and_json": [], "filtered_search_without_embed": [],
    }
    country = _rarest_country(idx)
    filters = None
    if country:
        from indexer.filters import parse_filters

        filters = parse_filters(country=country)
    prof = cProfile.Profile()
    for profiled in (False, True):  # timings without the profiler, then a cProfile pass
        for i, q in enumerate(queries):
            text = f"{q} ({i}{'p' if profiled else ''})"  # new to the query cache
            t0 = time.perf_counter()
            embedder.embed_queries([text])
            if not profiled:
                stages["embed_query"].append((time.perf_counter() - t0) * 1000)
            if profiled:
                prof.enable()
                idx.search(text, k=10)
                prof.disable()
                continue
            t0 = time.perf_counter()
            res = idx.search(text, k=10)  # the embedding now comes from the cache
            stages["search_without_embed"].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            d = res.to_dict()
            stages["to_dict"].append((time.perf_counter() - t0) * 1000)
            if serialise is not None:
                t0 = time.perf_counter()
                serialise(d)
                stages["validate_and_json"].append((time.perf_counter() - t0) * 1000)
            _highlight_costs(res, text, stages)
            if filters is not None:
                t0 = time.perf_counter()
                idx.search(text, filters, k=10)
                stages["filtered_search_without_embed"].append((time.perf_counter() - t0) * 1000)
    stages.update(_faiss_thread_costs(idx, embedder, queries[:20]))
    out: dict[str, Any] = {
        "queries": len(queries),
        "stages": {k: latency_summary(v) for k, v in stages.items() if v},
        "top_functions": _top_functions(prof, len(queries)),
        "filter_country": country,
    }
    s = out["stages"]
    log(
        "  profile: embed p50 {:.1f} ms, search (no embed) p50 {:.1f} ms, to_dict {:.2f} ms, validate+json {} ms".format(
            s["embed_query"]["p50_ms"], s["search_without_embed"]["p50_ms"], s["to_dict"]["p50_ms"],
            s.get("validate_and_json", {}).get("p50_ms", "–"),
        )
    )
    return out


def _highlight_costs(res: Any, query: str, stages: dict[str, list[float]]) -> None:
    """Time highlighting the shown passages as the core does, and with per-word memoised
    folding and stemming (the proposed fix, prototyped here)."""
    try:
        from indexer.highlight import highlight, query_terms
    except ImportError:
        return
    texts = [p.text for h in res.hits for p in h.passages] + [p.text for p in res.passages]
    terms = query_terms(query)
    t0 = time.perf_counter()
    for t in texts:
        highlight(t, terms)
    stages.setdefault("highlight_all_shown_passages", []).append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    for t in texts:
        _highlight_memo(t, terms)
    stages.setdefault("highlight_with_memoised_word_stems", []).append((time.perf_counter() - t0) * 1000)


@functools.lru_cache(maxsize=200_000)
def _word_stems(word: str) -> tuple[str, ...]:
    from indexer.lexical import fold, stems

    return stems(fold(word))


def _highlight_memo(text: str, terms: frozenset[str]) -> str:
    """The core's highlight with fold+stem memoised per raw word (same output)."""
    out: list[str] = []
    pos = 0
    for m in _WORD.finditer(text):
        word = m.group(0)
        if terms.intersection(_word_stems(word)):
            out.append(html.escape(text[pos : m.start()]))
            out.append(f"<mark>{html.escape(word)}</mark>")
            pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _faiss_thread_costs(idx: Any, embedder: Any, queries: list[str]) -> dict[str, list[float]]:
    """The vector search of one query with FAISS's default OpenMP threads and with one
    thread (reads the facade's backend: a diagnostic, not an interface)."""
    vectors = getattr(getattr(idx, "_state", None), "vectors", None)
    if vectors is None:
        return {}
    import faiss

    qv = embedder.embed_queries(queries)
    out: dict[str, list[float]] = {}
    before = faiss.omp_get_max_threads()
    for n in (max(os.cpu_count() or 1, 2), 1):
        faiss.omp_set_num_threads(n)
        key = f"vector_search_{n}_thread{'s' if n > 1 else ''}"
        out[key] = []
        for v in qv:
            t0 = time.perf_counter()
            vectors.search(v.reshape(1, -1), 30)
            out[key].append((time.perf_counter() - t0) * 1000)
    faiss.omp_set_num_threads(before)
    return out


def _rarest_country(idx: Any) -> str | None:
    try:
        f = idx.facets()
    except Exception:  # noqa: BLE001 - the profile works without a filter
        return None
    countries = {c: n for c, n in (f.countries or {}).items() if n > 0}
    return min(countries, key=lambda c: (countries[c], c)) if countries else None


def _top_functions(prof: cProfile.Profile, n_queries: int, n: int = 20) -> list[dict[str, Any]]:
    """Project and library functions by cumulative time, as a share of the whole search."""
    st = pstats.Stats(prof)
    rows = []
    total = 0.0
    for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        if func == "search" and file.endswith("indexer/search.py"):
            total = max(total, ct)
        rows.append((ct, f"{_short(file)}:{func}"))
    if not total:
        return []
    rows.sort(reverse=True)
    out = []
    seen = set()
    for ct, name in rows:
        if name in seen or "cProfile" in name or name.startswith("~:<"):
            continue
        seen.add(name)
        out.append({"function": name, "share": round(ct / total, 3), "cum_ms_per_query": round(ct * 1000 / max(n_queries, 1), 3)})
        if len(out) >= n:
            break
    return out


def _short(file: str) -> str:
    for marker in ("site-packages/", "/work/main/", "main/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return Path(file).name
