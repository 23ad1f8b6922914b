"""`practice-search bench`: speed, latency, scale and a txtai peer -> BENCH.json + BENCH.md."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

#: Sizes of the synthetic scale benchmark.
FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (2_000,)
#: Passages of the serving-memory measurement in `--quick` mode (the full bench: 100,000).
QUICK_SERVING_PASSAGES = 5_000
#: Sizes of the whole-search-path benchmark (bench.facade).
FULL_FACADE_SIZES = (100_000, 1_000_000)
QUICK_FACADE_SIZES = (2_000,)


def register(subparsers) -> None:
    """Add the `bench` subcommand."""
    p = subparsers.add_parser(
        "bench",
        help="measure speed, latency and memory",
        description="Measure indexing throughput, end-to-end API latency under concurrent load "
        "(server and load generator in separate processes on 127.0.0.1), search-core latency and "
        "recall at 10k-1M synthetic passages, and txtai as a peer. Writes JSON and Markdown.",
    )
    p.add_argument("--index", required=True, type=Path, help="index folder (built from --corpus if missing)")
    p.add_argument("--json-out", required=True, type=Path, help="where to write BENCH.json")
    p.add_argument("--md-out", type=Path, default=None, help="Markdown summary (default: reports/bench.md)")
    p.add_argument("--corpus", type=Path, default=Path("corpus/sample"), help="corpus for indexing and the peer")
    p.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds (tests)")
    p.add_argument("--skip-scale", action="store_true", help="skip the synthetic 10k-1M scale runs")
    p.add_argument("--skip-peer", action="store_true", help="skip the txtai comparison")
    p.add_argument("--skip-api", action="store_true", help="skip the served-API load runs")
    p.add_argument("--skip-stress", action="store_true",
                   help="skip the stress runs (16 and 64 clients, slow clients, a 150 MB header)")
    p.add_argument("--skip-indexing", action="store_true", help="skip the indexing throughput run")
    p.add_argument("--skip-profile", action="store_true", help="skip the per-stage query profile")
    p.add_argument("--skip-precision", action="store_true", help="skip the fp32/bf16/int8 comparison")
    p.add_argument("--precision-squad-limit", type=int, default=0, metavar="N",
                   help="squad-es-en paragraphs the precision comparison scores (default 0: all)")
    p.add_argument("--skip-milvus", action="store_true", help="skip the Milvus and Ray section")
    p.add_argument("--milvus-sizes", default=None, help="comma-separated passage counts (default 100000,1000000)")
    p.add_argument("--skip-facade", action="store_true", help="skip the whole search path at 100k-1M synthetic passages")
    p.add_argument("--facade-sizes", default=None, help="comma-separated passage counts (default 100000,1000000)")
    p.add_argument("--scale-sizes", default=None, help="comma-separated passage counts (default 10000,100000,1000000)")
    p.add_argument("--concurrency", type=int, default=None,
                   help="concurrent API clients (default: the number of cores); an overload run uses twice that")
    p.set_defaults(func=run)


def _bench_cache_dir() -> Path:
    """Where large synthetic indexes are kept between bench runs (<home>/cache/bench)."""
    from practice_search.config import Settings

    return Settings().cache_dir / "bench"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _ensure_index(index: Path, corpus: Path, embedder: Any, log) -> dict[str, Any] | None:
    """Build the index from the corpus when the folder holds none."""
    from indexer.build import build_index, read_manifest

    try:
        read_manifest(index)
        return None
    except FileNotFoundError:
        pass
    log(f"no index at {index}: building it from {corpus}")
    report = build_index(corpus, index, embedder=embedder)
    log("  " + report.summary())
    return report.to_dict()


def run(args: argparse.Namespace) -> int:
    """Run the benchmarks asked for and write the reports."""
    from bench.queries import QUERIES, distinct_variants
    from bench.report import check_targets, to_markdown
    from bench.stats import loadavg, machine_info
    from indexer.build import TEST_ENCODER_ENV, get_embedder

    def log(msg: str) -> None:
        print(msg, flush=True)

    t_start = time.perf_counter()
    quick = bool(args.quick)
    fake = bool(os.environ.get(TEST_ENCODER_ENV))
    md_out = args.md_out or Path("reports/bench.md")
    bench: dict[str, Any] = {
        "command": "practice-search " + " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith("practice-search")
        else "practice-search bench " + " ".join(_argv_echo(args)),
        "mode": ("quick" if quick else "full") + (f", test encoder {os.environ[TEST_ENCODER_ENV]}" if fake else ""),
        "machine": machine_info(),
        "notes": [],
    }
    log(f"practice-search bench ({bench['mode']}) on {bench['machine']['cores']} cores, load {bench['machine']['loadavg_start']}")

    embedder = get_embedder()
    built = _ensure_index(args.index, args.corpus, embedder, log)
    if built:
        bench["index_built"] = built

    if not args.skip_indexing:
        from bench.indexing import bench_indexing

        log("indexing throughput")
        bench["indexing"] = _guard(lambda: bench_indexing(args.corpus, embedder, log=log), log)

    if not args.skip_precision:
        if fake or quick:
            bench["precision"] = {"skipped": "quick mode or test encoder: precisions need the real model"}
        else:
            from bench.precision import run_precision
            from practice_search.config import get_settings

            log("precisions side by side")
            shared = Path("../shared/benchmarks")
            bench["precision"] = _guard(lambda: run_precision(
                args.corpus, embedder, get_settings(), xquad_dir=shared / "xquad", squad_dir=shared / "squad-es-en",
                squad_limit=args.precision_squad_limit or None, log=log,
            ), log)

    if not args.skip_api:
        from bench.api import bench_api

        log("API latency under load")
        queries = distinct_variants(QUERIES[:10] if quick else QUERIES, per_query=1 if quick else 4)
        bench["api"] = _guard(lambda: bench_api(
            args.index, queries, concurrency=2 if quick else args.concurrency, max_seconds=20 if quick else 75,
            fresh_server_per_run=not quick, log=log,
        ), log)

    if not args.skip_stress:
        from bench.stress import run_stress

        log("the server under stress")
        bench["stress"] = _guard(lambda: run_stress(
            args.index, distinct_variants(QUERIES, per_query=1), quick=quick, log=log), log)

    if not args.skip_profile:
        from bench.profile import profile_search

        log("per-stage profile")
        bench["profile"] = _guard(
            lambda: profile_search(args.index, list(QUERIES[:8] if quick else QUERIES), embedder, log=log), log
        )

    if not args.skip_scale:
        from bench.scale import LAYOUTS_MIN_ROWS, run_scale

        sizes = [int(s) for s in args.scale_sizes.split(",")] if args.scale_sizes else list(QUICK_SIZES if quick else FULL_SIZES)
        log(f"search core at scale: {', '.join(f'{n:,}' for n in sizes)} passages")
        bench["scale"] = _guard(
            lambda: run_scale(
                sizes, n_queries=30 if quick else 200, flat_queries=10 if quick else 50, log=log,
                cache_dir=None if quick else _bench_cache_dir(), layouts_min_rows=0 if quick else LAYOUTS_MIN_ROWS,
            ), log
        )
        bench["scale_notes"] = scale_notes(bench["scale"]) if "error" not in bench["scale"] else []

    if not args.skip_facade:
        import tempfile

        from bench.facade import run_facade

        sizes = [int(s) for s in args.facade_sizes.split(",")] if args.facade_sizes else list(
            QUICK_FACADE_SIZES if quick else FULL_FACADE_SIZES)
        log(f"whole search path at scale: {', '.join(f'{n:,}' for n in sizes)} passages")
        with tempfile.TemporaryDirectory(prefix="practice-search-facade-") as work:
            bench["facade"] = _guard(
                lambda: run_facade(
                    sizes, work_dir=Path(work), n_queries=20 if quick else 100,
                    cache_dir=None if quick else _bench_cache_dir(), log=log,
                ), log
            )

    if not args.skip_milvus:
        from bench.milvus import SERVING_MEMORY_PASSAGES, run_milvus

        sizes = [int(s) for s in args.milvus_sizes.split(",")] if args.milvus_sizes else list(
            QUICK_SIZES if quick else FULL_FACADE_SIZES)
        log(f"Milvus beside FAISS: {', '.join(f'{n:,}' for n in sizes)} passages")
        qs = distinct_variants(QUERIES[:10] if quick else QUERIES, per_query=1 if quick else 2)
        bench["milvus"] = _guard(lambda: run_milvus(
            sizes, args.corpus, qs, n_queries=30 if quick else 100,
            serving_passages=QUICK_SERVING_PASSAGES if quick else SERVING_MEMORY_PASSAGES, log=log), log)

    if not args.skip_peer:
        if fake or quick:
            bench["peer"] = {"skipped": "quick mode or test encoder: the peer needs the real model"}
        else:
            from bench.peer import bench_txtai

            log("txtai peer")
            bench["peer"] = _guard(lambda: bench_txtai(args.index, args.corpus, list(QUERIES), embedder, log=log), log)

    tunes = sorted(Path("reports").glob("bench.tune-1m*.json"))
    if not quick and tunes:  # sweeps from `python -m bench.tune`, separate (slow) runs
        bench["tune_1m"] = [json.loads(t.read_text(encoding="utf-8")) | {"file": str(t)} for t in tunes]
    bench["targets"] = check_targets(bench)
    bench["loadavg_end"] = loadavg()
    bench["total_s"] = round(time.perf_counter() - t_start, 1)
    _write(args.json_out, json.dumps(bench, indent=1, ensure_ascii=False, default=str) + "\n")
    _write(md_out, to_markdown(bench) + "\n")
    log("targets:")
    for name, v in bench["targets"].items():
        log(f"  {name}: {v['value']} (target {v['target']}) {'met' if v['met'] else 'MISSED'}")
    log(f"wrote {args.json_out} and {md_out} in {bench['total_s']} s")
    return 0


def _guard(section, log) -> dict[str, Any]:
    """Run one benchmark section; a failure is recorded in the report (and printed), and
    the other sections still run."""
    try:
        return section()
    except Exception as exc:  # noqa: BLE001 - one broken section must not lose the others
        import traceback

        log(f"  section failed: {exc!r}")
        return {"error": repr(exc), "traceback": traceback.format_exc()[-3000:]}


def _argv_echo(args: argparse.Namespace) -> list[str]:
    out = ["--index", str(args.index), "--json-out", str(args.json_out)]
    for flag in ("quick", "skip_scale", "skip_peer", "skip_api", "skip_stress", "skip_indexing", "skip_profile",
                 "skip_facade", "skip_milvus"):
        if getattr(args, flag):
            out.append("--" + flag.replace("_", "-"))
    return out


def scale_notes(scale: dict[str, Any]) -> list[str]:
    """Plain-language reading of the scale figures."""
    notes = []
    for n, e in scale.items():
        ann = e.get("ann") or {}
        if ann:
            notes.append(
                f"{int(n):,}: {ann.get('backend')} worst p50 over unfiltered/1%/10% = {ann.get('worst_p50_ms')} ms, "
                f"worst recall@10 = {ann.get('worst_recall@10')}; flat p50 {e.get('flat', {}).get('p50_ms')} ms; "
                f"the facade's exact `scores_all` (match set) costs {ann.get('scores_all_p50_ms')} ms per query"
            )
    return notes
