"""`practice-search eval`: retrieval benchmarks (query sets, BEIR data sets, XQuAD, all).

    practice-search eval --index INDEX_DIR --queries FILE.jsonl [--systems bm25,dense,hybrid] [--k 10] --json-out R.json
    practice-search eval --beir DIR --json-out R.json
    practice-search eval --benchmark xquad --xquad-dir DIR --json-out R.json
    practice-search eval --benchmark mlqa-es-en [--limit N] [--mlqa-dir DIR] --json-out R.json [--md-out R.md]
    practice-search eval --benchmark iom-titles [--records FILE] --json-out R.json
    practice-search eval --benchmark gcm-objectives [--labelled FILE] --json-out R.json
    practice-search eval --all --json-out reports/eval.json     (what `make eval` runs)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: Metadata benchmarks (eval.metadata) and where their data lies under ../shared.
METADATA_BENCHMARKS = {
    "iom-titles": Path("benchmarks") / "iom-catalogue" / "records.jsonl",
    "gcm-objectives": Path("benchmarks") / "gcm-actions" / "actions.jsonl",
}

SEEDS_TARGETS: dict[str, tuple[str, float]] = {
    "hybrid evidence@5": (">=", 0.9),
    "hybrid filter_violations": ("==", 0),
    "hybrid filter_misses": ("==", 0),
}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "eval",
        help="benchmark retrieval quality on query sets",
        description="Score search systems on a query set (EVAL_FORMAT.md), a BEIR data set, XQuAD, or all "
        "the project's benchmarks (--all, what `make eval` runs).",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--queries", metavar="FILE", help="query set: JSON Lines file, or a BEIR directory (needs --index)")
    what.add_argument("--beir", metavar="DIR", help="BEIR data set (corpus.jsonl, queries.jsonl, qrels/test.tsv): indexes its corpus in a temp dir")
    what.add_argument("--benchmark", choices=["xquad", "squad-es-en", "mlqa-es-en", "iom-titles", "gcm-objectives"],
                      help="a built-in benchmark: xquad (cross-lingual retrieval), squad-es-en (the same at "
                      "ten times the size: SQuAD en + SQuAD-es), mlqa-es-en (MLQA en + es paragraphs in one "
                      "mixed-language index, both languages' answers relevant), iom-titles "
                      "(countries read from IOM catalogue titles against their countries covered), "
                      "gcm-objectives (objectives inferred from labelled text)")
    what.add_argument("--all", action="store_true", help="seeds dev set and XQuAD; writes JSON, Markdown and PNG")
    p.add_argument("--index", metavar="DIR", help="index to search (with --queries)")
    p.add_argument("--systems", help="comma-separated modes (default bm25,dense,hybrid); XQuAD also knows dense-use (its default: all four)")
    p.add_argument("--k", type=int, default=10, help="documents per query for the metrics (default 10)")
    p.add_argument("--json-out", required=True, metavar="FILE", help="REPORT.json")
    p.add_argument("--md-out", metavar="FILE", help="Markdown report (with --all: beside the JSON by default)")
    p.add_argument("--png-out", metavar="FILE", help="chart (with --all: beside the JSON by default)")
    p.add_argument("--xquad-dir", metavar="DIR", help="XQuAD files (default ../shared/benchmarks/xquad)")
    p.add_argument("--records", metavar="FILE",
                   help="iom-titles: catalogue records (default ../shared/benchmarks/iom-catalogue/records.jsonl)")
    p.add_argument("--labelled", metavar="FILE",
                   help="gcm-objectives: JSON Lines of text + objective (default ../shared/benchmarks/gcm-actions/actions.jsonl)")
    p.add_argument("--squad-dir", metavar="DIR", help="squad-es-en files (default ../shared/benchmarks/squad-es-en)")
    p.add_argument("--mlqa-dir", metavar="DIR", help="mlqa-es-en files (default ../shared/benchmarks/mlqa-es-en)")
    p.add_argument("--limit", type=int, metavar="N",
                   help="XQuAD, squad-es-en: first N paragraphs only; mlqa-es-en: first N questions, their paragraphs "
                   "and the first 5N paragraphs of each language (quick runs)")
    p.add_argument("--seeds-dir", metavar="DIR", help="--all: the seed corpus (default ../shared/seeds)")
    p.add_argument("--seeds-queries", metavar="FILE", help="--all: the seeds query set (default eval/queries/seeds_dev.jsonl)")
    p.add_argument("--work-dir", metavar="DIR", help="where benchmark indexes are built and kept (default: the cache dir)")
    p.add_argument("--lexical-weight", type=float, metavar="W", help="hybrid fusion: weight of BM25 (the core's HybridParams)")
    p.add_argument("--cross-lang-lexical", type=float, metavar="F", help="hybrid fusion: BM25 weight factor across languages")
    p.add_argument("--reference-prior", type=float, metavar="F",
                   help="score factor of passages in reference lists, notes, acronym lists (default 0.6; 1 = none)")
    p.add_argument("--no-glossary", action="store_true",
                   help="BM25 without the glossary's cross-language query expansion (to measure it)")
    p.add_argument("--no-translate", action="store_true",
                   help="BM25 without the collection's word translations across its languages (to measure it)")
    p.set_defaults(func=run)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _shared_dir() -> Path:
    """../shared from the working directory, else beside the source checkout."""
    here = Path("../shared")
    if here.is_dir():
        return here.resolve()
    return (Path(__file__).resolve().parent.parent.parent / "shared").resolve()


def _systems(arg: str | None) -> list[str]:
    if arg is None:
        return ["bm25", "dense", "hybrid"]
    names = [s.strip() for s in arg.split(",") if s.strip()]
    if not names:
        raise ValueError("--systems is empty; give e.g. bm25,dense,hybrid")
    return list(dict.fromkeys(names))


def _hybrid(args: argparse.Namespace):
    if (args.lexical_weight is None and args.cross_lang_lexical is None and not args.no_glossary
            and not args.no_translate and args.reference_prior is None):
        return None
    from indexer.search import HybridParams

    params = HybridParams()
    if args.lexical_weight is not None:
        if not 0.0 <= args.lexical_weight <= 1.0:
            raise ValueError("--lexical-weight must be between 0 and 1")
        params.lexical_weight = args.lexical_weight
    if args.cross_lang_lexical is not None:
        if not 0.0 <= args.cross_lang_lexical <= 1.0:
            raise ValueError("--cross-lang-lexical must be between 0 and 1")
        params.cross_lang_lexical = args.cross_lang_lexical
    if args.reference_prior is not None:
        if not 0.0 < args.reference_prior <= 1.0:
            raise ValueError("--reference-prior must be above 0 and at most 1")
        params.reference_prior = args.reference_prior
    params.glossary = not args.no_glossary
    params.translate = not args.no_translate
    return params


def _work_dir(args: argparse.Namespace) -> Path:
    if args.work_dir:
        return Path(args.work_dir)
    from practice_search.config import get_settings

    return get_settings().cache_dir / "eval"


def evaluate_index(
    index_dir: str | Path,
    queries_path: str | Path,
    *,
    systems: list[str],
    k: int = 10,
    embedder=None,
    hybrid=None,
) -> dict[str, Any]:
    """Open an index through SearchIndex and score the systems on a query set."""
    from eval.query_sets import load_queries
    from eval.runner import System, evaluate_systems
    from indexer.search import SearchIndex
    from indexer.types import MODES

    bad = [s for s in systems if s not in MODES]
    if bad:
        raise ValueError(
            f"unknown system(s) {', '.join(bad)} for an index; choose from {', '.join(MODES)} "
            "(dense-use is an XQuAD system: --benchmark xquad --systems ...,dense-use)"
        )
    if k < 1:
        raise ValueError("--k must be at least 1")
    queries = load_queries(queries_path)
    index = SearchIndex.open(index_dir, embedder=embedder, hybrid=hybrid)
    report = evaluate_systems([System(s, index, s) for s in systems], queries, k=k)
    from eval.match_set import match_set_quality

    report["match_set"] = match_set_quality(index, queries)  # what counts, facets and the gap map use
    stats = index.stats()
    report["source"] = str(queries_path)
    report["index_info"] = f"{stats['documents']} documents, {stats['passages']} passages, model {stats['model']}"
    return report


def evaluate_beir(
    beir_dir: str | Path, *, systems: list[str], k: int = 10, embedder=None, hybrid=None
) -> dict[str, Any]:
    """Index a BEIR corpus in a temporary directory (one passage per document) and score it."""
    from corpus.types import Document, Passage
    from eval.query_sets import load_beir
    from eval.runner import System, evaluate_systems
    from indexer.build import build_index_from_documents, get_embedder
    from indexer.search import SearchIndex

    data = load_beir(beir_dir)
    embedder = embedder or get_embedder(None)
    docs = []
    for doc_id, d in data.corpus.items():
        text = (d["text"] or d["title"]).strip()
        if not text:
            continue
        passage = Passage(id=f"{doc_id}#0", doc_id=doc_id, ordinal=0, text=text)
        docs.append(Document(id=doc_id, title=d["title"], source="corpus.jsonl", format="jsonl", passages=(passage,)))
    with tempfile.TemporaryDirectory(prefix="ps-beir-") as tmp:
        build_index_from_documents(docs, Path(tmp) / "index", embedder=embedder)
        index = SearchIndex.open(Path(tmp) / "index", embedder=embedder, hybrid=hybrid)
        report = evaluate_systems([System(s, index, s) for s in systems], list(data.queries), k=k)
    report["source"] = str(beir_dir)
    report["index_info"] = f"{len(docs)} documents (BEIR corpus, one passage each)"
    return report


def _squad(args: argparse.Namespace) -> dict[str, Any]:
    """squad-es-en through the XQuAD runner (same systems, pairs and report)."""
    from eval.parallel import load_squad_es_en, squad_checks

    sdir = Path(args.squad_dir) if args.squad_dir else _shared_dir() / "benchmarks" / "squad-es-en"
    report = _xquad(args, data=load_squad_es_en(sdir, args.limit))
    report["checks"] = squad_checks(report)
    return report


def _mlqa(args: argparse.Namespace) -> dict[str, Any]:
    """mlqa-es-en: one mixed English + Spanish index (eval.mixed)."""
    from eval.mixed import run_mixed
    from indexer.build import get_embedder

    mdir = Path(args.mlqa_dir) if args.mlqa_dir else _shared_dir() / "benchmarks" / "mlqa-es-en"
    return run_mixed(mdir, _work_dir(args), get_embedder(None), systems=_systems(args.systems), limit=args.limit,
                     hybrid=_hybrid(args), log=_log)


def _xquad(args: argparse.Namespace, embedder=None, systems: list[str] | None = None, data=None) -> dict[str, Any]:
    from eval.xquad import XQUAD_SYSTEMS, run_xquad
    from indexer.build import get_embedder

    names = systems or (_systems(args.systems) if args.systems else list(XQUAD_SYSTEMS))
    encoders: dict[str, Any] = {}
    if any(XQUAD_SYSTEMS.get(s, ("",))[0] == "default" for s in names):
        encoders["default"] = embedder or get_embedder(None)
    if any(XQUAD_SYSTEMS.get(s, ("",))[0] == "use" for s in names):
        from eval.encoders import USEEncoder

        encoders["use"] = USEEncoder()
    xdir = Path(args.xquad_dir) if args.xquad_dir else _shared_dir() / "benchmarks" / "xquad"
    return run_xquad(xdir, _work_dir(args), encoders, systems=names, limit=args.limit, hybrid=_hybrid(args), log=_log,
                     data=data)


#: `--all` (make eval) runs squad-es-en on its first 300 paragraphs and mlqa-es-en on its
#: first 60 questions: a minute or two once their embeddings are cached, where the full
#: runs take 5-6 min the first time.
ALL_LIMITS = {"squad-es-en": 300, "mlqa-es-en": 60}


def _run_all(args: argparse.Namespace) -> dict[str, Any]:
    from eval.runner import check_targets
    from indexer.build import build_index, get_embedder
    from indexer.precision import default_for

    shared = _shared_dir()
    seeds = Path(args.seeds_dir) if args.seeds_dir else shared / "seeds"
    qfile = Path(args.seeds_queries) if args.seeds_queries else Path(__file__).resolve().parent / "queries" / "seeds_dev.jsonl"
    embedder = get_embedder(None)
    t0 = time.perf_counter()
    index_dir = _work_dir(args) / "seeds-index"
    build = build_index(seeds, index_dir, embedder=embedder, precision=default_for(embedder))
    _log(f"eval: {build.summary()}")
    seeds_report = evaluate_index(index_dir, qfile, systems=_systems(args.systems), k=args.k, embedder=embedder, hybrid=_hybrid(args))
    seeds_report["title"] = "Seeds development set"
    seeds_report["source"] = "eval/queries/seeds_dev.jsonl" if not args.seeds_queries else str(qfile)
    seeds_report["seconds"] = round(time.perf_counter() - t0, 1)
    if "hybrid" in seeds_report["systems"]:
        h = seeds_report["systems"]["hybrid"]
        values = {f"hybrid {m}": h[m] for m in ("evidence@5", "filter_violations", "filter_misses")}
        seeds_report["checks"] = check_targets(values, SEEDS_TARGETS)
    _log(f"eval: seeds dev set done in {seeds_report['seconds']} s")
    # queries with no answer, over the sample corpus: how many documents they still match
    sample_dir = _work_dir(args) / "sample-index"
    build_index(Path(__file__).resolve().parent.parent / "corpus" / "sample", sample_dir, embedder=embedder,
                precision=default_for(embedder))
    noise = evaluate_index(sample_dir, Path(__file__).resolve().parent / "queries" / "noise.jsonl",
                           systems=["hybrid"], k=args.k, embedder=embedder, hybrid=_hybrid(args))
    seeds_report["noise_on_sample"] = noise["match_set"]
    t1 = time.perf_counter()
    from eval.xquad import XQUAD_SYSTEMS

    xq = _xquad(args, embedder=embedder, systems=list(XQUAD_SYSTEMS))
    xq["seconds"] = round(time.perf_counter() - t1, 1)
    out = {"seeds_dev": seeds_report, "xquad": xq}
    # the larger cross-lingual benchmarks, cut to quick sizes (their full runs: --benchmark)
    for key, run, limit in (("squad_es_en", _squad, ALL_LIMITS["squad-es-en"]),
                            ("mlqa_es_en", _mlqa, ALL_LIMITS["mlqa-es-en"])):
        t2 = time.perf_counter()
        out[key] = run(argparse.Namespace(**{**vars(args), "limit": limit}))
        out[key]["seconds"] = round(time.perf_counter() - t2, 1)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def run(args: argparse.Namespace) -> int:
    from eval.report import (
        mixed_markdown,
        queryset_markdown,
        write_chart,
        write_json,
        write_markdown,
        xquad_markdown,
    )

    t0 = time.perf_counter()
    json_out = Path(args.json_out)
    md_out = Path(args.md_out) if args.md_out else None
    png_out = Path(args.png_out) if args.png_out else None
    if args.all:
        report = _run_all(args)
        md_out = md_out or json_out.with_suffix(".md")
        png_out = png_out or json_out.with_suffix(".png")
        sections = [queryset_markdown(report["seeds_dev"], "Seeds development set"), xquad_markdown(report["xquad"]),
                    xquad_markdown(report["squad_es_en"]), mixed_markdown(report["mlqa_es_en"])]
        chart = (report["xquad"], report["seeds_dev"], report["squad_es_en"], report["mlqa_es_en"])
    elif args.benchmark in METADATA_BENCHMARKS:
        from eval.metadata import run_metadata_benchmark

        given = args.records if args.benchmark == "iom-titles" else args.labelled
        data = Path(given) if given else _shared_dir() / METADATA_BENCHMARKS[args.benchmark]
        print(run_metadata_benchmark(args.benchmark, data, json_out, md_out))
        _log(f"eval: wrote {json_out}")
        return 0
    elif args.benchmark == "mlqa-es-en":
        if png_out:
            raise ValueError("--png-out: mlqa-es-en has no chart (its tables are in --md-out)")
        report = _mlqa(args)
        sections = [mixed_markdown(report)]
        chart = (None, None)
    elif args.benchmark in ("xquad", "squad-es-en"):
        report = _xquad(args) if args.benchmark == "xquad" else _squad(args)
        sections = [xquad_markdown(report)]
        chart = (report, None)
    elif args.beir:
        report = evaluate_beir(args.beir, systems=_systems(args.systems), k=args.k, hybrid=_hybrid(args))
        sections = [queryset_markdown(report, f"BEIR: {args.beir}")]
        chart = (None, report)
    else:
        if not args.index:
            raise ValueError("--queries needs --index INDEX_DIR (the index to search)")
        report = evaluate_index(args.index, args.queries, systems=_systems(args.systems), k=args.k, hybrid=_hybrid(args))
        sections = [queryset_markdown(report, f"Query set: {args.queries}")]
        chart = (None, report)
    write_json(report, json_out)
    _log(f"eval: wrote {json_out}")
    if md_out:
        write_markdown(sections, md_out)
        _log(f"eval: wrote {md_out}")
    if png_out:
        write_chart(chart[0], png_out, chart[1], extra=chart[2:])
        _log(f"eval: wrote {png_out}")
    _print_summary(report)
    _log(f"eval: {time.perf_counter() - t0:.1f} s")
    return 0


def _print_summary(report: dict[str, Any]) -> None:
    """A short table on stdout."""
    parts = [report] if "systems" in report else [v for v in report.values() if isinstance(v, dict)]
    for part in parts:
        if part.get("benchmark") == "mlqa-es-en":
            print(f"{part['benchmark']}: {part['n_questions']} questions per language, one mixed index")
            for name, r in part["systems"].items():
                for lg, m in r.items():
                    print(f"  {name:8s} {lg}: ndcg@10 {m['ndcg@10']:.3f} recall@10 {m['recall@10']:.3f} "
                          f"both_in_top10 {m['both_in_top10']:.3f} own_lang_first {m['own_lang_first']:.3f} "
                          f"other_lang_in_top10 {m['other_lang_in_top10']:.3f}")
        elif part.get("benchmark") in ("xquad", "squad-es-en"):
            print(f"{part['benchmark']} ndcg@10: " + " | ".join(part["pairs"]))
            for name, r in part["systems"].items():
                print(f"  {name:10s} " + "  ".join(f"{r[p]['ndcg@10']:.3f}" for p in part["pairs"]))
        else:
            k = part.get("k", 10)
            print(f"{part.get('title', 'query set')}: {part['n_queries']} queries")
            for name, r in part["systems"].items():
                print(
                    f"  {name:8s} ndcg@{k} {r[f'ndcg@{k}']:.3f} mrr@{k} {r[f'mrr@{k}']:.3f} recall@{k} {r[f'recall@{k}']:.3f} "
                    f"evidence@1 {r.get('evidence@1', 0):.3f} evidence@5 {r.get('evidence@5', 0):.3f} "
                    f"violations {r['filter_violations']} misses {r['filter_misses']} p50 {r['latency_ms_p50']} ms"
                )
        for c in part.get("checks", ()):
            print(f"  check {c['name']}: {c['value']} (target {c['target']}) {'ok' if c['ok'] else 'NOT MET'}")
