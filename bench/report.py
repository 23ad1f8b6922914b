"""BENCH.json -> a Markdown summary, and the target checks both carry."""

from __future__ import annotations

from typing import Any

#: Targets from the performance brief (issue 7).
TARGETS = {
    "api_p50_ms": 30.0,
    "api_p95_ms": 80.0,
    "filtered_over_unfiltered_p50": 1.5,
    "scale_1m_ann_p50_ms": 10.0,
    "scale_1m_ann_recall@10": 0.95,
    # the same bound on the whole search path (bench.facade), the model's embedding aside
    "search_path_1m_p50_ms": 10.0,
}


def check_targets(bench: dict[str, Any]) -> dict[str, Any]:
    """Each target: the measured value, the bound, and whether it is met (None: not measured)."""
    out: dict[str, Any] = {}
    api = bench.get("api") or {}
    unf, fil = api.get("unfiltered") or {}, api.get("filtered") or {}

    def put(name: str, value: Any, bound: float, ok: bool | None) -> None:
        out[name] = {"value": value, "target": bound, "met": ok}

    if unf.get("p50_ms") is not None:
        for run in ("unfiltered", "unfiltered_sequential", "unfiltered_overload"):
            r = api.get(run) or {}
            if r.get("p50_ms") is None:
                continue
            c = r.get("concurrency", api.get("concurrency"))
            clients = f"{c} client{'s' if c != 1 else ''}"
            for stat in ("p50_ms", "p95_ms"):
                bound = TARGETS[f"api_{stat}"]
                put(f"api_{stat} ({clients})", r[stat], bound, r[stat] <= bound)
        if fil.get("p50_ms") is not None and unf["p50_ms"]:
            ratio = round(fil["p50_ms"] / unf["p50_ms"], 3)
            bound = TARGETS["filtered_over_unfiltered_p50"]
            put("filtered_over_unfiltered_p50", ratio, bound, ratio <= bound)
    ann = ((bench.get("scale") or {}).get("1000000") or {}).get("ann") or {}
    if ann:
        worst_p50 = ann.get("worst_p50_ms", ann.get("p50_ms"))
        worst_rec = ann.get("worst_recall@10", ann.get("recall@10"))
        put("scale_1m_ann_p50_ms (worst of unfiltered, 1%, 10%)", worst_p50, TARGETS["scale_1m_ann_p50_ms"],
            worst_p50 <= TARGETS["scale_1m_ann_p50_ms"])
        put("scale_1m_ann_recall@10 (worst of unfiltered, 1%, 10%)", worst_rec, TARGETS["scale_1m_ann_recall@10"],
            worst_rec >= TARGETS["scale_1m_ann_recall@10"])
    for lname, lay in ((((bench.get("scale") or {}).get("1000000") or {}).get("layouts")) or {}).items():
        if lay.get("bytes_per_passage") is None:
            continue
        put(f"layout_1m_bytes_per_passage ({lname}, in memory)", lay["bytes_per_passage"], 600.0,
            lay["bytes_per_passage"] <= 600.0)
        rec = min(lay["recall@10"], lay["filtered_10pct"]["recall@10"])
        put(f"layout_1m_recall@10 ({lname}, worst of unfiltered and 10%)", rec, 0.95, rec >= 0.95)
        p50 = max(lay["p50_ms"], lay["filtered_10pct"]["p50_ms"])
        put(f"layout_1m_p50_ms ({lname}, worst of unfiltered and 10%)", p50, 5.0, p50 <= 5.0)
    peer = bench.get("peer") or {}
    theirs = (peer.get("txtai_search") or {}).get("p50_ms")
    for mode in ("dense", "hybrid"):
        ours = (peer.get(f"ours_{mode}_search") or {}).get("p50_ms")
        if ours is not None and theirs:
            ratio = round(ours / theirs, 3)
            put(f"search_p50_over_txtai ({mode}, in process, same run)", ratio, 0.5, ratio <= 0.5)
    from bench.milvus import milvus_targets
    from bench.precision import precision_targets
    from bench.stress import stress_targets

    milvus_targets(bench, put)
    precision_targets(bench, put)
    stress_targets(bench, put)
    fac = (((bench.get("facade") or {}).get("1000000") or {}).get("backends") or {}).get("hnsw") or {}
    if fac.get("browse"):
        worst = max(v["browse"]["p50_ms"] for v in fac["browse"].values())
        put("browse_1m_p50_ms (HNSW, worst of unfiltered/1%/10%, list + to_dict)", worst, 20.0, worst <= 20.0)
    if fac.get("facets"):
        worst = max([v["p50_ms"] for v in fac["facets"].values()]
                    + [v["facets"]["p50_ms"] for v in (fac.get("browse") or {}).values()])
        put("facets_1m_p50_ms (HNSW, worst of with and without a query x unfiltered/1%/10%)", worst, 20.0, worst <= 20.0)
    if fac.get("worst_p50_ms") is not None:
        v = fac["worst_p50_ms"]
        put("search_path_1m_p50_ms (HNSW, worst of hybrid/dense x unfiltered/1%/10%, embedding aside)", v,
            TARGETS["search_path_1m_p50_ms"], v <= TARGETS["search_path_1m_p50_ms"])
    return out


def _f(x: Any, nd: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def _cpu_note(cpu: dict[str, Any] | None) -> str:
    if not cpu:
        return ""
    isa = "/".join(cpu.get("isa") or [])
    return f", family {cpu.get('cpu_family')} model {cpu.get('model')}" + (f", {isa}" if isa else "")


def _mib(b: Any) -> str:
    return "–" if not b else f"{b / 2**20:.0f} MiB"


def to_markdown(bench: dict[str, Any]) -> str:
    """A readable summary of a BENCH.json."""
    m = bench.get("machine", {})
    lines = [
        "# practice-search benchmark",
        "",
        f"`{bench.get('command', '')}`  ",
        f"{m.get('date', '')} · {m.get('cores')} cores ({m.get('cpu_model')}{_cpu_note(m.get('cpu'))}) · {m.get('ram_gib')} GiB RAM · "
        f"Python {m.get('python')} · commit {m.get('git_commit')}  ",
        f"Load average at start {m.get('loadavg_start')}, at end {bench.get('loadavg_end')} "
        "(other processes shared the cores: latencies include that contention).",
        "",
    ]
    if bench.get("mode"):
        lines += [f"Mode: **{bench['mode']}**", ""]
    failed = [k for k, v in bench.items() if isinstance(v, dict) and "error" in v]
    for key in failed:
        lines += [f"**Section `{key}` failed:** `{bench[key]['error']}`", ""]
    bench = {k: v for k, v in bench.items() if k not in failed}
    t = bench.get("targets") or {}
    if t:
        lines += ["## Targets", "", "| target | measured | bound | met |", "|---|---|---|---|"]
        for name, v in t.items():
            met = {True: "yes", False: "**no**", None: "–"}[v["met"]]
            lines.append(f"| {name} | {_f(v['value'], 3)} | {v['target']} | {met} |")
        lines.append("")
    ix = bench.get("indexing")
    if ix:
        lines += [
            "## Indexing (embedding cache bypassed)",
            "",
            f"{ix.get('passages')} passages of {ix.get('documents')} documents ({ix.get('corpus')}), model "
            f"`{ix.get('model')}`: **{_f(ix.get('passages_per_s'))} passages/s** end to end "
            f"({_f(ix.get('build_s'), 2)} s); time in the model {_f(ix.get('model_s'), 2)} s "
            f"= {_f(100 * (ix.get('model_share') or 0), 0)}% of the build "
            f"({_f(ix.get('model_passages_per_s'))} passages/s inside the model).",
            "",
        ]
    api = bench.get("api")
    if api and not api.get("skipped"):
        lines += [
            "## API latency (server and load generator in separate processes, 127.0.0.1)",
            "",
            f"Index: {api.get('index_documents')} documents, {api.get('index_passages')} passages, backend "
            f"`{api.get('backend')}`, model `{api.get('model')}`. {api.get('distinct_queries')} distinct query texts "
            f"(50 Spanish and English queries in case/punctuation variants), each sent once per run, so no "
            f"request hits the query-embedding cache; warm-up excluded; "
            f"{'a fresh server per run' if api.get('fresh_server_per_run', True) else 'one server for all runs'}.  ",
            f"Filter: {api.get('filter', {}).get('note', '')}",
            "",
            "| run | clients | requests | p50 ms | p95 ms | p99 ms | req/s | server embed p50 | server search p50 | server request p50 |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name in ("unfiltered", "filtered", "unfiltered_sequential", "unfiltered_overload"):
            s = api.get(name)
            if not s:
                continue
            st = s.get("server_timing_ms", {})
            lines.append(
                f"| {name} | {s.get('concurrency')} | {s.get('ok')}/{s.get('requests')} | {_f(s.get('p50_ms'))} | "
                f"{_f(s.get('p95_ms'))} | {_f(s.get('p99_ms'))} | {_f(s.get('throughput_rps'))} | "
                f"{_f(st.get('embed', {}).get('p50'))} | {_f(st.get('search', {}).get('p50'))} | "
                f"{_f(st.get('request', {}).get('p50'))} |"
            )
        lines += ["", f"Server RSS after the run: {_mib(api.get('server_rss_bytes'))}.", ""]
    from bench.stress import stress_markdown

    lines += stress_markdown(bench.get("stress") or {})
    prof = bench.get("profile")
    if prof and not prof.get("skipped"):
        lines += ["## Where a query's time goes (in process, one query at a time)", "", "| stage | p50 ms | p95 ms |", "|---|---|---|"]
        for name, s in (prof.get("stages") or {}).items():
            lines.append(f"| {name} | {_f(s.get('p50_ms'), 2)} | {_f(s.get('p95_ms'), 2)} |")
        if prof.get("top_functions"):
            lines += ["", "cProfile of `SearchIndex.search` with the query embedding cached (share of cumulative time; cProfile inflates many small Python calls, so read shares next to the unprofiled stage times above):", ""]
            for row in prof["top_functions"][:12]:
                lines.append(f"- {row['function']}: {_f(100 * row['share'], 0)}%")
        if prof.get("notes"):
            lines += [""] + [f"- {n}" for n in prof["notes"]]
        lines.append("")
    sc = bench.get("scale")
    if sc:
        lines += [
            "## Search core at scale (synthetic vectors, dim 384, k=10, one query at a time)",
            "",
            "Clustered data (1,000 vectors per cluster in 24-dim subspaces plus noise), queries near data points; "
            "filters from synthetic document metadata (country PE on 1% of documents, objective 1 on 10%), "
            "allowed rows computed per query (time included). Recall@10 against exact search over the same rows.",
            "",
            "| passages | backend | params | build s | bytes/passage | p50 ms | p95 ms | recall@10 | 1% p50 / recall | 10% p50 / recall | full score vector p50 ms (flat facade) |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for n, e in sc.items():
            for key, b in [("flat", e.get("flat") or {}), ("ann", e.get("ann") or {}),
                           *(("layout", v) for v in (e.get("layouts") or {}).values())]:
                f1, f10 = b.get("filtered_1pct", {}), b.get("filtered_10pct", {})
                params = ", ".join(f"{k}={v}" for k, v in (b.get("params") or {}).items()) or "–"
                build = _f(b.get("build_s"), 1) + (f" (built {b.get('built_at')}, reused)" if b.get("build_reused") else "")
                full = _f(b.get("scores_all_p50_ms"), 1) if key == "flat" else "not used"
                lines.append(
                    f"| {int(n):,} | {b.get('backend')} | {params} | {build} | "
                    f"{_f(b.get('bytes_per_passage'), 0)} | {_f(b.get('p50_ms'), 2)} | {_f(b.get('p95_ms'), 2)} | "
                    f"{_f(b.get('recall@10'), 3)} | {_f(f1.get('p50_ms'), 2)} / {_f(f1.get('recall@10'), 3)} | "
                    f"{_f(f10.get('p50_ms'), 2)} / {_f(f10.get('recall@10'), 3)} | {full} |"
                )
        lines.append("")
        if bench.get("scale_notes"):
            lines += [f"- {n}" for n in bench["scale_notes"]] + [""]
    tunes = bench.get("tune_1m") or []
    for tune in [tunes] if isinstance(tunes, dict) else tunes:
        lines += [
            f"## Tuning sweeps at 1M (separate run, {tune.get('file', 'reports/bench.tune-1m.json')})",
            "",
            f"`{tune.get('command')}` on {tune.get('machine', {}).get('date')} (load {tune.get('machine', {}).get('loadavg_start')}, "
            f"commit {tune.get('machine', {}).get('git_commit')}); same synthetic data and filters; p50 ms / recall@10."
            + (f" {tune['note']}" if tune.get("note") else ""),
            "",
            "| backend | build s | bytes/passage | parameter | unfiltered | 1% filter | 10% filter |",
            "|---|---|---|---|---|---|---|",
        ]
        for key, sweep, pname in (("ivf", "nprobe_sweep", "nprobe"), ("hnsw", "ef_search_sweep", "efSearch")):
            b = tune.get(key) or {}
            for row in b.get(sweep, []):
                cells = [f"{_f(row[f]['p50_ms'], 1)} / {_f(row[f]['recall@10'], 3)}" for f in ("unfiltered", "filtered_1pct", "filtered_10pct")]
                extra = f"{key} (M={b.get('m')}, efC={b.get('ef_construction')})" if key == "hnsw" else f"ivf (nlist={b.get('nlist')})"
                lines.append(f"| {extra} | {_f(b.get('build_s'), 0)} | {_f(b.get('bytes_per_passage'), 0)} | {pname}={row['value']} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += facade_markdown(bench.get("facade"))
    from bench.milvus import milvus_markdown
    from bench.precision import precision_markdown

    lines += precision_markdown(bench.get("precision") or {}) if not (bench.get("precision") or {}).get("skipped") else []
    lines += milvus_markdown(bench.get("milvus") or {})
    peer = bench.get("peer")
    if peer:
        lines += ["## Peer: txtai (same passages, same local model, same queries)", ""]
        if peer.get("skipped"):
            lines += [f"Skipped: {peer['skipped']}", ""]
        else:
            ix = bench.get("indexing") or {}
            lines += [
                "| | index s | passages/s | search p50 ms | search p95 ms |",
                "|---|---|---|---|---|",
                f"| txtai {peer.get('txtai_version')} (faiss, content=True) | {_f(peer.get('txtai_index_s'), 2)} | "
                f"{_f(peer.get('txtai_passages_per_s'))} | {_f(peer['txtai_search']['p50_ms'])} | {_f(peer['txtai_search']['p95_ms'])} |",
                f"| practice-search dense | {_f(ix.get('build_s'), 2)} | {_f(ix.get('passages_per_s'))} | "
                f"{_f(peer['ours_dense_search']['p50_ms'])} | {_f(peer['ours_dense_search']['p95_ms'])} |",
                f"| practice-search hybrid | | | {_f(peer['ours_hybrid_search']['p50_ms'])} | {_f(peer['ours_hybrid_search']['p95_ms'])} |",
                "",
                f"Top-10 passage overlap (our dense vs txtai): **{_f(peer.get('passage_overlap@10_dense'), 3)}**; "
                f"document overlap: {_f(peer.get('document_overlap_dense'), 3)}. {peer.get('note', '')}",
                "",
            ]
    readings = derived_readings(bench)
    if readings:
        lines += ["## Readings (computed from the figures above)", ""] + [f"- {n}" for n in readings] + [""]
    if bench.get("notes"):
        lines += ["## Notes", ""] + [f"- {n}" for n in bench["notes"]] + [""]
    return "\n".join(lines)


def derived_readings(bench: dict[str, Any]) -> list[str]:
    """Plain statements computed from the figures: where API time goes, queueing, scale."""
    out: list[str] = []
    api = bench.get("api") or {}
    seq = (api.get("unfiltered_sequential") or {}).get("server_timing_ms") or {}
    if seq.get("embed") and seq.get("total"):
        e, t = seq["embed"]["p50"], seq["total"]["p50"]
        out.append(
            f"One client at a time: the query embedding takes {e:.1f} of the facade's {t:.1f} ms (p50), "
            f"{100 * e / t:.0f}%; the rest of the search {t - e:.1f} ms."
        )
    conc = (api.get("unfiltered") or {}).get("server_timing_ms") or {}
    if conc.get("request") and conc.get("total"):
        r, t = conc["request"]["p50"], conc["total"]["p50"]
        out.append(
            f"With {api.get('concurrency')} concurrent clients a request spends {r:.1f} ms (p50) in the route but "
            f"{t:.1f} ms in the search itself ({r - t:.1f} ms outside it); of the search, the query embedding "
            f"takes {(conc.get('embed') or {}).get('p50', 0.0):.1f} ms."
        )
    for n, e in (bench.get("scale") or {}).items():
        ann, flat = e.get("ann") or {}, e.get("flat") or {}
        if ann and flat:
            out.append(
                f"{int(n):,} passages: exact flat p50 {flat.get('p50_ms')} ms, {ann.get('backend')} p50 {ann.get('p50_ms')} ms "
                f"(recall@10 {ann.get('recall@10')}); building the allowed rows from metadata takes "
                f"{(ann.get('filtered_1pct') or {}).get('filter_ms_p50')} ms per filtered query; with the flat "
                f"backend the facade's full score vector (match set and ranking in one scan) costs "
                f"{flat.get('scores_all_p50_ms')} ms, while an approximate backend takes its match set from "
                f"its own candidates."
            )
    return out


def facade_markdown(fac: dict[str, Any] | None) -> list[str]:
    """The whole-search-path section (bench.facade)."""
    if not fac:
        return []
    lines = ["## The whole search path at scale (synthetic index, one query at a time, embedding aside)", ""]
    if fac.get("error"):
        return lines + [f"Failed: {fac['error']}", ""]
    lines += [
        "`SearchIndex.search` + `to_dict`, as a request runs them (filters, BM25, dense, fusion, match-set counts, "
        "grouping, highlighting), over a synthetic index built by the product's own build path: the scale section's "
        "vectors, Zipf-distributed bilingual passage texts (40 words), one country and one objective per document. "
        "The query vector is looked up, so add the model's single-query time (model bench, API runs). p50 ms:",
        "",
        "| passages | backend | mode | unfiltered | 1% filter | 10% filter | p95 worst | load s | RSS bytes/passage |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for n, e in fac.items():
        if not isinstance(e, dict) or "backends" not in e:
            continue
        for backend, b in e["backends"].items():
            for mode in ("hybrid", "dense"):
                r = b.get(mode) or {}
                cells = [_f((r.get(f) or {}).get("p50_ms"), 2) for f in ("unfiltered", "filtered_1pct", "filtered_10pct")]
                p95 = max(((r.get(f) or {}).get("p95_ms") or 0) for f in ("unfiltered", "filtered_1pct", "filtered_10pct"))
                lines.append(
                    f"| {int(n):,} | {backend} | {mode} | " + " | ".join(cells)
                    + f" | {_f(float(p95), 2)} | {_f(b.get('load_s'))} | {_f(b.get('rss_bytes_per_passage'), 0)} |"
                )
        for backend, b in e["backends"].items():
            br = b.get("browse") or {}
            for what, label in (("browse", "browse (no query)"), ("facets", "facets (no query)")):
                if br:
                    lines.append(
                        f"| {int(n):,} | {backend} | {label} | "
                        + " | ".join(_f(((br.get(f) or {}).get(what) or {}).get("p50_ms"), 2)
                                     for f in ("unfiltered", "filtered_1pct", "filtered_10pct"))
                        + f" | {_f(float(max(((br.get(f) or {}).get(what) or {}).get('p95_ms') or 0 for f in br)), 2)} | | |"
                    )
            fc = b.get("facets") or {}
            if fc:
                lines.append(
                    f"| {int(n):,} | {backend} | facets | "
                    + " | ".join(_f((fc.get(f) or {}).get("p50_ms"), 2) for f in ("unfiltered", "filtered_1pct", "filtered_10pct"))
                    + f" | {_f(float(max((fc.get(f) or {}).get('p95_ms') or 0 for f in fc)), 2)} | | |"
                )
        notes.append(
            f"- {int(n):,}: index built in {_f(e.get('build_s_without_model'))} s without the model "
            f"(store, BM25, flat vectors); HNSW graph {_f(e.get('hnsw_build_s'))} s"
            + (" (reused from the scale section)" if e.get("hnsw_build_reused") else "") + "."
        )
    return lines + [""] + notes + [""]
