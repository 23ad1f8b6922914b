"""End-to-end API latency: `practice-search serve` in one subprocess, load from another.

Both run on 127.0.0.1; the load is bounded in requests and seconds. Figures: client-side
p50/p95/p99 latency, throughput, status codes, and the server's own per-stage `timing_ms`
(embed, search, total, request) when the responses carry it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.stats import latency_summary, rss_bytes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(index_dir: Path, *, env: dict[str, str] | None = None, timeout: float = 180.0) -> Iterator[tuple[str, int]]:
    """Run `practice-search serve` on a free local port until the block ends.
    Yields (base_url, server pid); waits for /health to answer 200."""
    import httpx

    port = free_port()
    cmd = [
        sys.executable, "-m", "practice_search.cli", "serve", "--index", str(index_dir),
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited with {proc.returncode}: {log.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(base + "/health", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer /health within {timeout:.0f} s")
            time.sleep(0.25)
        yield base, proc.pid
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        log.close()


def run_loadgen(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run bench.loadgen in a second process and return its JSON."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh)
        path = fh.name
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.loadgen", path], capture_output=True, text=True, timeout=timeout,
            cwd=str(Path(__file__).resolve().parent.parent),
        )
    finally:
        os.unlink(path)
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def summarise_load(load: dict[str, Any]) -> dict[str, Any]:
    """Latency percentiles, throughput, statuses, and server stage medians."""
    res = load["results"]
    ok = [r for r in res if r["status"] == 200]
    out: dict[str, Any] = latency_summary([r["ms"] for r in ok])
    out["requests"] = len(res)
    out["ok"] = len(ok)
    out["errors"] = {str(s): sum(1 for r in res if r["status"] == s) for s in {r["status"] for r in res} if s != 200}
    out["concurrency"] = load["concurrency"]
    out["wall_s"] = round(load["wall_s"], 2)
    out["throughput_rps"] = round(len(res) / load["wall_s"], 2) if load["wall_s"] > 0 else None
    out["mean_hits"] = round(float(np.mean([r["hits"] for r in ok if r["hits"] is not None])), 2) if ok else None
    out["mean_response_bytes"] = int(np.mean([r["bytes"] for r in ok])) if ok else None
    stages: dict[str, list[float]] = {}
    for r in ok:
        for key, v in (r.get("timing_ms") or {}).items():
            if isinstance(v, (int, float)):
                stages.setdefault(key, []).append(float(v))
    if stages:
        out["server_timing_ms"] = {
            k: {"p50": round(float(np.median(v)), 3), "p95": round(float(np.percentile(v, 95)), 3)}
            for k, v in sorted(stages.items())
        }
    return out


def pick_selective_filter(base_url: str) -> dict[str, Any]:
    """The most selective single-country filter available (fewest documents, at least one)."""
    import httpx

    f = httpx.get(base_url + "/facets", timeout=30.0).json()
    total = int(f.get("matched_documents") or 0)
    countries = {c: n for c, n in (f.get("countries") or {}).items() if n > 0}
    if not countries or not total:
        return {"params": {}, "documents": total, "share": 1.0, "note": "no country facet: filtered run is unfiltered"}
    code, n = min(countries.items(), key=lambda kv: (kv[1], kv[0]))
    return {
        "params": {"country": code},
        "documents": n,
        "share": round(n / total, 4),
        "note": (
            f"country={code} matches {n} of {total} documents ({100 * n / total:.1f}%); "
            "the sample corpus is too small for a 1% filter, this is the most selective single-country one"
        ),
    }


def bench_api(
    index_dir: Path, queries: list[str], *, concurrency: int | None = None, requests: int | None = None,
    max_seconds: float = 60.0, env: dict[str, str] | None = None, fresh_server_per_run: bool = True, log=print,
) -> dict[str, Any]:
    """Measure unfiltered and filtered /search under concurrent load, then one client at a
    time, then an overload run with twice the clients. By default each run gets a fresh
    server and sends each query text at most once, so no request is answered from the
    query-embedding cache (warm-up texts differ).

    `concurrency` defaults to the number of cores (2 here): as many requests in flight as
    there are cores to answer them, the saturation point of a closed loop. The overload run
    shows what queueing beyond that costs."""
    import os

    import httpx

    concurrency = int(concurrency or os.cpu_count() or 1)
    requests = len(queries) if requests is None else min(requests, len(queries))
    warm = [f"warm-up query {i}: migration" for i in range(8)]
    out: dict[str, Any] = {
        "index": str(index_dir), "distinct_queries": len(queries), "concurrency": concurrency,
        "fresh_server_per_run": fresh_server_per_run,
    }
    runs = (
        ("unfiltered", concurrency, False),
        ("filtered", concurrency, True),
        ("unfiltered_sequential", 1, False),
        ("unfiltered_overload", 2 * concurrency, False),
    )
    shared = contextlib.ExitStack()
    with shared:
        if not fresh_server_per_run:
            server = shared.enter_context(serve(index_dir, env=env))
        for name, conc, filtered in runs:
            with contextlib.ExitStack() as stack:
                base, pid = stack.enter_context(serve(index_dir, env=env)) if fresh_server_per_run else server
                if "filter" not in out:
                    health = httpx.get(base + "/health", timeout=10).json()
                    out.update(
                        index_documents=health.get("documents"), index_passages=health.get("passages"),
                        backend=health.get("backend"), model=health.get("model"),
                    )
                    out["filter"] = pick_selective_filter(base)
                params = out["filter"]["params"] if filtered else {}
                with httpx.Client(base_url=base, timeout=60) as c:  # warm-up, not measured
                    for q in warm:
                        c.get("/search", params={"q": q, **params})
                spec = {
                    "base_url": base, "queries": queries, "params": params, "concurrency": conc,
                    "requests": requests, "max_seconds": max_seconds, "warmup": 0,
                }
                s = summarise_load(run_loadgen(spec, timeout=max_seconds + 120))
                s["server_rss_bytes"] = rss_bytes(pid)
                out[name] = s
                log(
                    f"  api {name:22s} p50 {s['p50_ms']:7.1f} ms  p95 {s['p95_ms']:7.1f} ms  p99 {s['p99_ms']:7.1f} ms  "
                    f"{s['throughput_rps']} req/s  ({s['ok']}/{s['requests']} ok, {conc} client(s))"
                )
    out["server_rss_bytes"] = out["unfiltered"]["server_rss_bytes"]
    return out
