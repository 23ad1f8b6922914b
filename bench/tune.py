"""Parameter sweeps for the approximate backends at one size (default 1M passages):
IVF nprobe and HNSW efSearch, unfiltered and filtered, latency and recall@10 each.

    python -m bench.tune --n 1000000 --out reports/bench.tune-1m.json [--skip-hnsw]

Slow on purpose (it builds each index once and sweeps search parameters); the figures
back the tuning advice in reports/bench.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.scale import _filters, _measure_queries, _threads, exact_topk, index_bytes, recall_at_k
from bench.stats import latency_summary, loadavg, machine_info
from bench.synthetic import make_corpus


def _sweep(backend, c, truth, setter, values, nq: int, log) -> list[dict[str, Any]]:
    rows = []
    for v in values:
        setter(backend, v)
        row: dict[str, Any] = {"value": v}
        for fname, fn in [("unfiltered", None), *_filters(c).items()]:
            with _threads(1):
                _measure_queries(backend, c, fn, 3)
                lat, filt, found = _measure_queries(backend, c, fn, nq)
            s = latency_summary(lat)
            row[fname] = {
                "p50_ms": s["p50_ms"], "p95_ms": s["p95_ms"], "filter_ms_p50": round(float(np.median(filt)), 3),
                "recall@10": round(recall_at_k(found, truth[fname][:nq]), 4),
            }
            log(f"    {v!s:>6} {fname:14s} p50 {s['p50_ms']:8.2f} ms  recall@10 {row[fname]['recall@10']:.3f}")
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.tune")
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--skip-ivf", action="store_true")
    p.add_argument("--skip-hnsw", action="store_true")
    p.add_argument("--hnsw-m", type=int, default=16)
    p.add_argument("--hnsw-efc", type=int, default=40)
    p.add_argument("--ef-values", default="64,128,256", help="efSearch values to sweep")
    args = p.parse_args(argv)
    from indexer.backends import HNSWBackend, IVFBackend

    def log(msg: str) -> None:
        print(msg, flush=True)

    out: dict[str, Any] = {"command": "python -m bench.tune " + " ".join(sys.argv[1:]), "machine": machine_info(), "n": args.n}
    t0 = time.perf_counter()
    c = make_corpus(args.n, nq=args.queries)
    truth = {"unfiltered": exact_topk(c, None), **{f: exact_topk(c, fn()) for f, fn in _filters(c).items()}}
    out["data_s"] = round(time.perf_counter() - t0, 1)
    ids = np.arange(c.n)

    def save() -> None:
        out["loadavg_end"] = loadavg()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=1) + "\n")

    if not args.skip_ivf:
        log(f"ivf at {args.n:,}")
        t0 = time.perf_counter()
        ivf = IVFBackend(c.vectors.shape[1], nlist=1024, nprobe=32)
        first = 40 * 1024
        ivf.add(ids[:first], c.vectors[:first])
        ivf.add(ids[first:], c.vectors[first:])
        out["ivf"] = {"nlist": 1024, "trained_on": first, "build_s": round(time.perf_counter() - t0, 1),
                      "bytes_per_passage": round(index_bytes(ivf) / c.n, 1)}

        def set_nprobe(b, v):
            b.nprobe = v

        out["ivf"]["nprobe_sweep"] = _sweep(ivf, c, truth, set_nprobe, [32, 64, 128, 256], args.queries, log)
        del ivf
        save()
    if not args.skip_hnsw:
        log(f"hnsw at {args.n:,} (M={args.hnsw_m}, efConstruction={args.hnsw_efc})")
        t0 = time.perf_counter()
        h = HNSWBackend(c.vectors.shape[1], m=args.hnsw_m, ef_construction=args.hnsw_efc, ef_search=128)
        h.add(ids, c.vectors)
        out["hnsw"] = {"m": args.hnsw_m, "ef_construction": args.hnsw_efc, "build_s": round(time.perf_counter() - t0, 1),
                       "bytes_per_passage": round(index_bytes(h) / c.n, 1)}
        log(f"  built in {out['hnsw']['build_s']} s")

        def set_ef(b, v):
            b.ef_search = v
            b.index.hnsw.efSearch = v

        out["hnsw"]["ef_search_sweep"] = _sweep(h, c, truth, set_ef, [int(v) for v in args.ef_values.split(",")], args.queries, log)
        save()
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
