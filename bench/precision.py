"""Embedding precisions side by side in one run: indexing speed, query latency, how close
each precision's vectors stay to fp32, and what that does to retrieval.

    practice-search bench ... (section "precision"), or
    python -m bench.precision [--squad-limit N] [--out reports/bench.precision.json]

- **Passages**: the sample corpus indexed by the product's own build (embedding cache
  bypassed) at the defaults this section was written against (fp32, batch 32: the
  baseline) and at fp32, bf16 and int8 with the current batch size, in alternating
  rounds so that a change of machine speed hits every configuration alike.
- **Queries**: every question embedded one at a time, as the service does, by the fp32
  and the int8 ONNX graphs.
- **Quality**: dense nDCG@10 per language pair on XQuAD and on squad-es-en (its first
  `squad_limit` paragraphs), for each passage precision with fp32 queries, int8 queries
  with fp32 passages, and the defaults together; the bound is 0.005 on every pair.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.stats import latency_summary, machine_info

#: The largest dense nDCG@10 loss a precision may cost on any pair.
MAX_LOSS = 0.005
BASELINE = ("fp32", 32)  # precision, batch size before this section existed


def _unique(data) -> tuple[list[str], dict[int, int]]:
    keep = [i for i, c in enumerate(data.canonical) if c == i]
    return [data.paragraphs[i] for i in keep], {i: j for j, i in enumerate(keep)}


def _ndcg(q: np.ndarray, p: np.ndarray, gold: np.ndarray) -> float:
    s = q @ p.T
    rank = (s > s[np.arange(len(gold)), gold][:, None]).sum(axis=1) + 1
    return round(float(np.where(rank <= 10, 1 / np.log2(rank + 1), 0).mean()), 4)


def _query_encoders(emb) -> dict[str, Any]:
    from indexer import onnx_query

    args = (emb.model, emb._cache_dir, emb.model_id, emb.checksum)
    fp32 = onnx_query.load(*args)
    return {"fp32": fp32, "int8": onnx_query.load_int8(*args, pipeline=fp32.pipeline)}


def _indexing(corpus: Path, emb, settings, rounds: int, log) -> dict[str, Any]:
    from bench.indexing import bench_indexing

    configs = [BASELINE, ("fp32", settings.batch_size), ("bf16", settings.batch_size), ("int8", settings.batch_size)]
    runs: dict[str, list[dict[str, Any]]] = {}
    saved = emb.batch_size, emb.passage_precision
    try:
        # a first build loads what every process loads once (tokenizer, tables): untimed
        bench_indexing(corpus, emb, settings=settings.model_copy(update={"passage_precision": "fp32"}),
                       log=lambda m: None)
        for _ in range(rounds):
            for prec, bs in configs:
                emb.batch_size = bs
                s = settings.model_copy(update={"passage_precision": prec, "batch_size": bs})
                r = bench_indexing(corpus, emb, settings=s, log=lambda m: None)
                runs.setdefault(f"{prec} batch {bs}", []).append(r)
    finally:
        emb.batch_size = saved[0]
        emb.use_passage_precision(saved[1])
    out: dict[str, Any] = {}
    for name, rs in runs.items():
        best = max(rs, key=lambda r: r["passages_per_s"])
        out[name] = {"passages_per_s": best["passages_per_s"], "all_rounds": [r["passages_per_s"] for r in rs],
                     "model_share": best["model_share"], "passages": best["passages"]}
        log(f"  indexing {name}: {best['passages_per_s']} passages/s (rounds {out[name]['all_rounds']})")
    base = out[f"{BASELINE[0]} batch {BASELINE[1]}"]["passages_per_s"]
    for v in out.values():
        v["speedup_vs_baseline"] = round(v["passages_per_s"] / base, 2) if base else None
    return out


def _datasets(xquad_dir: Path, squad_dir: Path, squad_limit: int | None) -> dict[str, dict[str, Any]]:
    from eval.parallel import load_squad_es_en
    from eval.xquad import load_xquad

    sets = {"xquad": {lang: load_xquad(xquad_dir, lang) for lang in ("en", "es")}}
    if squad_dir.is_dir():
        sets["squad-es-en"] = load_squad_es_en(squad_dir, limit=squad_limit)
    return sets


def _quality(emb, sets, encoders, log) -> tuple[dict[str, Any], dict[str, Any]]:
    """nDCG@10 per pair for each (passage precision, query precision); query latencies."""
    prefix = emb.prompts.get("query", "")
    quality: dict[str, Any] = {}
    lat: dict[str, list[float]] = {k: [] for k in encoders}
    cos_q: dict[str, list[float]] = {k: [] for k in encoders}
    saved = emb.passage_precision
    try:
        for sname, data in sets.items():
            maps, pvec = {}, {}
            for lang, d in data.items():
                texts, maps[lang] = _unique(d)
                pvec[lang] = {}
                for prec in ("fp32", "bf16", "int8"):
                    emb.use_passage_precision(prec)
                    pvec[lang][prec] = emb.embed_passages(texts)  # cached per precision
            for ql, qd in data.items():
                qv: dict[str, list[np.ndarray]] = {k: [] for k in encoders}
                for q in qd.questions:
                    feats = emb.model.preprocess([prefix + q[1]])
                    for name, enc in encoders.items():
                        t0 = time.perf_counter()
                        qv[name].append(enc(feats)[0])
                        lat[name].append((time.perf_counter() - t0) * 1000)
                qm = {k: np.vstack(v) for k, v in qv.items()}
                cos_q["int8"] += list((qm["int8"] * qm["fp32"]).sum(axis=1))
                for pl in data:
                    gold = np.array([maps[pl][data[pl].canonical[q[2]]] for q in qd.questions])
                    row = {
                        f"passages {p} / queries fp32": _ndcg(qm["fp32"], pvec[pl][p], gold)
                        for p in ("fp32", "bf16", "int8")
                    }
                    row["passages fp32 / queries int8"] = _ndcg(qm["int8"], pvec[pl]["fp32"], gold)
                    row["passages bf16 / queries int8"] = _ndcg(qm["int8"], pvec[pl]["bf16"], gold)
                    base = row["passages fp32 / queries fp32"]
                    row["delta"] = {k: round(v - base, 4) for k, v in row.items() if k != "passages fp32 / queries fp32"}
                    quality[f"{sname} {ql}->{pl}"] = row
                    log(f"  {sname} {ql}->{pl}: fp32 {base:.4f}; " + ", ".join(
                        f"{k} {v:+.4f}" for k, v in row["delta"].items()))
    finally:
        emb.use_passage_precision(saved)
    queries = {k: latency_summary(v) | {"queries": len(v)} for k, v in lat.items()}
    if cos_q["int8"]:
        queries["int8"]["min_cosine_vs_fp32"] = round(float(np.min(cos_q["int8"])), 5)
    return quality, queries


def _sample_query_latency(emb, encoders, rounds: int = 3) -> dict[str, Any]:
    """Each graph on the service's benchmark queries (bench.queries: 50 Spanish and
    English questions about the sample corpus), one at a time. A server runs one graph,
    so each pass runs all the queries on one graph (alternating per pass, `rounds` each):
    switching graphs between queries would evict each one's weights from the CPU caches."""
    from bench.queries import QUERIES

    prefix = emb.prompts.get("query", "")
    feats = [emb.model.preprocess([prefix + q]) for q in QUERIES]
    lat: dict[str, list[float]] = {k: [] for k in encoders}
    for _ in range(rounds):
        for name, enc in encoders.items():
            for f in feats:
                t0 = time.perf_counter()
                enc(f)
                lat[name].append((time.perf_counter() - t0) * 1000)
    return {k: latency_summary(v) | {"queries": len(v)} for k, v in lat.items()}


def _passage_cosines(emb, texts: list[str]) -> dict[str, float]:
    ref = emb._encode(emb._prefixed("passage", texts), precision="fp32")
    out = {}
    for prec in ("bf16", "int8"):
        emb.use_passage_precision(prec)
        got = emb._encode(emb._prefixed("passage", texts), precision=prec)
        cos = (ref * got).sum(axis=1)
        out[prec] = {"min": round(float(cos.min()), 5), "mean": round(float(cos.mean()), 5)}
    emb.use_passage_precision("fp32")
    return out


def run_precision(
    corpus: Path, embedder, settings, *, xquad_dir: Path, squad_dir: Path, squad_limit: int | None = None,
    rounds: int = 2, log=print,
) -> dict[str, Any]:
    from indexer import precision as prec

    out: dict[str, Any] = {
        "cpu": {"native_bf16": prec.native_bf16(), "native_int8": prec.native_int8()},
        "auto": {"passages": prec.auto_precision(), "queries": "int8" if prec.native_int8() else "fp32"},
        "batch_size": settings.batch_size, "squad_limit": squad_limit, "max_loss": MAX_LOSS,
    }
    before = embedder.passage_precision
    log("  probe texts (es, en, fr): cosine of each precision to fp32")
    out["probe_cosine"] = _passage_cosines(embedder, list(prec.PROBE_TEXTS))
    out["indexing"] = _indexing(corpus, embedder, settings, rounds, log)
    sets = _datasets(xquad_dir, squad_dir, squad_limit)
    encoders = _query_encoders(embedder)
    out["sample_queries"] = _sample_query_latency(embedder, encoders)
    out["quality"], out["queries"] = _quality(embedder, sets, encoders, log)
    worst: dict[str, float] = {}
    for row in out["quality"].values():
        for k, d in row["delta"].items():
            worst[k] = min(worst.get(k, 0.0), d)
    out["worst_delta"] = worst
    out["passes"] = {k: v >= -MAX_LOSS for k, v in worst.items()}
    for k, v in out["sample_queries"].items():
        log(f"  query {k} (sample-corpus queries): p50 {v['p50_ms']} ms, p95 {v['p95_ms']} ms")
    for k, v in out["queries"].items():
        log(f"  query {k} (XQuAD and squad-es-en questions): p50 {v['p50_ms']} ms, p95 {v['p95_ms']} ms")
    embedder.use_passage_precision(before)
    return out


def precision_targets(bench: dict[str, Any], put) -> None:
    pr = bench.get("precision") or {}
    idx = pr.get("indexing") or {}
    auto = (pr.get("auto") or {}).get("passages")
    bs = pr.get("batch_size")
    row = idx.get(f"{auto} batch {bs}") or {}
    if row.get("speedup_vs_baseline") is not None:
        put(f"indexing_speedup ({auto} batch {bs} over fp32 batch 32, sample corpus)", row["speedup_vs_baseline"],
            2.0, row["speedup_vs_baseline"] >= 2.0)
    q = (pr.get("sample_queries") or {}).get("int8" if (pr.get("auto") or {}).get("queries") == "int8" else "fp32") or {}
    if q.get("p50_ms") is not None:
        put("query_embedding_p50_ms (default graph, sample-corpus queries one at a time)", q["p50_ms"], 6.0,
            q["p50_ms"] <= 6.0)
    for k, v in (pr.get("worst_delta") or {}).items():
        put(f"dense_ndcg@10_worst_delta ({k})", v, -MAX_LOSS, v >= -MAX_LOSS)


def precision_markdown(pr: dict[str, Any]) -> list[str]:
    if not pr or "error" in pr:
        return [f"## Precisions\n\nFailed: `{pr.get('error')}`", ""] if pr else []
    lines = ["## Precisions side by side (same run)", "",
             f"CPU native bf16: {pr['cpu']['native_bf16']}, int8 dot products (VNNI): {pr['cpu']['native_int8']}; "
             f"auto chooses passages at {pr['auto']['passages']}, queries at {pr['auto']['queries']}.", "",
             "| passages embedded at | passages/s (sample corpus, whole build) | × fp32 batch 32 | rounds |",
             "|---|---|---|---|"]
    for k, v in pr["indexing"].items():
        lines.append(f"| {k} | {v['passages_per_s']} | {v['speedup_vs_baseline']} | {v['all_rounds']} |")
    pc = pr.get("probe_cosine") or {}
    lines += ["", "Cosine to fp32 on the probe texts (es, en, fr): " + "; ".join(
        f"{k} min {v['min']}, mean {v['mean']}" for k, v in pc.items()), ""]
    lines += ["| query graph | sample-corpus queries p50 / p95 ms | XQuAD + squad-es-en questions p50 / p95 ms | "
              "questions | min cosine to fp32 |", "|---|---|---|---|---|"]
    for k, v in pr["queries"].items():
        sq = (pr.get("sample_queries") or {}).get(k) or {}
        lines.append(f"| {k} | {sq.get('p50_ms')} / {sq.get('p95_ms')} | {v['p50_ms']} / {v['p95_ms']} | {v['queries']} | "
                     f"{v.get('min_cosine_vs_fp32', '–')} |")
    keys = list(next(iter(pr["quality"].values()))["delta"])
    lines += ["", f"Dense nDCG@10, fp32 and the change for each combination (squad-es-en: first "
              f"{pr['squad_limit']} paragraphs); bound {-pr['max_loss']}:", "",
              "| pair | fp32 | " + " | ".join(keys) + " |", "|---|---|" + "---|" * len(keys)]
    for pair, row in pr["quality"].items():
        lines.append(f"| {pair} | {row['passages fp32 / queries fp32']} | " + " | ".join(
            f"{row['delta'][k]:+.4f}" for k in keys) + " |")
    lines += ["", "Worst pair: " + ", ".join(f"{k} {v:+.4f} ({'within' if pr['passes'][k] else 'OUTSIDE'} the bound)"
                                           for k, v in pr["worst_delta"].items()), ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=Path("corpus/sample"))
    ap.add_argument("--xquad-dir", type=Path, default=Path("../shared/benchmarks/xquad"))
    ap.add_argument("--squad-dir", type=Path, default=Path("../shared/benchmarks/squad-es-en"))
    ap.add_argument("--squad-limit", type=int, default=0, help="paragraphs of squad-es-en (0: all)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("reports/bench.precision.json"))
    args = ap.parse_args(argv)
    from indexer.embedder import load_embedder
    from practice_search.config import get_settings

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    emb = load_embedder()
    res = {"machine": machine_info(), "command": "python -m bench.precision " + " ".join(argv or []),
           "precision": run_precision(args.corpus, emb, get_settings(), xquad_dir=args.xquad_dir,
                                      squad_dir=args.squad_dir, squad_limit=args.squad_limit or None,
                                      rounds=args.rounds)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text("\n".join(precision_markdown(res["precision"])) + "\n", encoding="utf-8")
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
