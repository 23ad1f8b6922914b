"""What the opt-in int8 query encoder costs in retrieval quality and buys in speed.

    python -m bench.query_int8 [--xquad-dir ../shared/benchmarks/xquad] [--out reports/query_int8.json]

XQuAD (240 paragraphs, 1,190 questions per language): every question is embedded one at
a time by the fp32 ONNX query encoder (the default, which reproduces torch) and by the
per-channel int8 one (`PRACTICE_SEARCH_QUERY_RUNTIME=onnx-int8`); both are ranked by
dense inner product against the same fp32 passage vectors. Prints and writes nDCG@10 and
recall@1 per language pair, the cosine between the two query vectors, and latency.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.stats import latency_summary, machine_info


def _encode(enc, model, texts: list[str], prefix: str) -> tuple[np.ndarray, list[float]]:
    vecs, lat = [], []
    for t in texts:
        feats = model.preprocess([prefix + t])
        t0 = time.perf_counter()
        vecs.append(enc(feats)[0])
        lat.append((time.perf_counter() - t0) * 1000)
    return np.vstack(vecs), lat


def run(xquad_dir: Path) -> dict[str, Any]:
    from eval.xquad import load_xquad
    from indexer import onnx_query
    from indexer.embedder import load_embedder

    os.environ["PRACTICE_SEARCH_QUERY_RUNTIME"] = "onnx"
    emb = load_embedder()
    if emb.prepare_queries() != "onnx":
        raise SystemExit(f"the fp32 ONNX query encoder is not available: {emb.query_runtime_note}")
    os.environ["PRACTICE_SEARCH_QUERY_RUNTIME"] = "onnx-int8"
    encoders = {
        "fp32": emb._onnx,
        "int8": onnx_query.load_for_queries(emb.model, emb._cache_dir, emb.model_id, emb.checksum),
    }
    prefix = emb.prompts.get("query", "")
    data = {lang: load_xquad(xquad_dir, lang) for lang in ("en", "es")}
    passages = {lang: emb.embed_passages(list(d.paragraphs)) for lang, d in data.items()}
    out: dict[str, Any] = {"machine": machine_info(), "pairs": {}, "latency_ms": {}, "cosine_int8_vs_fp32": {}}
    lat_all: dict[str, list[float]] = {"fp32": [], "int8": []}
    for ql, qd in data.items():
        texts = [q[1] for q in qd.questions]
        gold = np.array([q[2] for q in qd.questions])
        vecs = {}
        for name, enc in encoders.items():
            vecs[name], lat = _encode(enc, emb.model, texts, prefix)
            lat_all[name] += lat
        cos = (vecs["fp32"] * vecs["int8"]).sum(axis=1)
        out["cosine_int8_vs_fp32"][ql] = {"min": round(float(cos.min()), 4), "mean": round(float(cos.mean()), 4)}
        for pl in data:
            row: dict[str, Any] = {}
            for name, q in vecs.items():
                s = q @ passages[pl].T
                rank = (s > s[np.arange(len(gold)), gold][:, None]).sum(axis=1) + 1
                row[name] = {
                    "ndcg@10": round(float(np.where(rank <= 10, 1 / np.log2(rank + 1), 0).mean()), 4),
                    "recall@1": round(float((rank == 1).mean()), 4),
                }
            row["ndcg@10_delta"] = round(row["int8"]["ndcg@10"] - row["fp32"]["ndcg@10"], 4)
            out["pairs"][f"{ql}->{pl}"] = row
            print(f"{ql}->{pl}: nDCG@10 fp32 {row['fp32']['ndcg@10']:.4f}  int8 {row['int8']['ndcg@10']:.4f}  "
                  f"({row['ndcg@10_delta']:+.4f})", flush=True)
    for name, lat in lat_all.items():
        out["latency_ms"][name] = latency_summary(lat)
        print(f"{name}: one query p50 {out['latency_ms'][name]['p50_ms']} ms", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.query_int8", description=__doc__.split("\n\n")[0])
    p.add_argument("--xquad-dir", type=Path, default=Path("../shared/benchmarks/xquad"))
    p.add_argument("--out", type=Path, default=Path("reports/query_int8.json"))
    args = p.parse_args(argv)
    res = run(args.xquad_dir)
    res["command"] = "python -m bench.query_int8 " + " ".join(sys.argv[1:] if argv is None else argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
