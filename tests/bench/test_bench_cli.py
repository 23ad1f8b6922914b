"""`practice-search bench --quick` end to end with the fake encoder: it builds the index
when missing, serves it, loads it from a second process and writes both reports with the
keys outside checks read. (Benchmarks print figures; this test checks behaviour only.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.service.conftest import FAKE


def test_quick_bench_writes_json_and_markdown(seeds_dir: Path, tmp_path: Path):
    out_json, out_md = tmp_path / "bench.json", tmp_path / "bench.md"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PRACTICE_SEARCH_TEST_ENCODER": FAKE}
    cmd = [
        sys.executable, "-m", "practice_search.cli", "bench", "--index", str(tmp_path / "index"),
        "--corpus", str(seeds_dir), "--json-out", str(out_json), "--md-out", str(out_md), "--quick",
        "--scale-sizes", "1000",
    ]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    bench = json.loads(out_json.read_text())
    for run in ("unfiltered", "filtered"):
        s = bench["api"][run]
        assert s["ok"] == s["requests"] > 0, s
        assert s["p50_ms"] > 0 and s["p95_ms"] >= s["p50_ms"]
    assert bench["api"]["filter"]["params"].get("country")
    assert bench["indexing"]["passages_per_s"] > 0
    ann = bench["scale"]["1000"]["ann"]
    assert 0 <= ann["recall@10"] <= 1 and ann["p50_ms"] > 0
    assert bench["scale"]["1000"]["flat"]["recall@10"] == 1.0  # exact search is its own ground truth
    # the compressed layout beside it: fewer bytes in memory than the HNSW over float32
    sq8 = bench["scale"]["1000"]["layouts"]["hnsw-sq8"]
    assert sq8["bytes_per_passage"] < ann["bytes_per_passage"] and 0 <= sq8["recall@10"] <= 1
    assert "layout_1m_bytes_per_passage (hnsw-sq8, in memory)" not in bench["targets"]  # a 1M target only
    assert bench["precision"]["skipped"]
    assert bench["machine"]["cores"] >= 1 and bench["command"].startswith("practice-search bench")
    assert bench["peer"]["skipped"]
    # the whole search path over a synthetic index, flat and HNSW, every mode and filter
    fac = bench["facade"]["2000"]
    assert fac["passages"] == 2000 and set(fac["backends"]) == {"flat", "hnsw"}
    for b in fac["backends"].values():
        for mode in ("hybrid", "dense"):
            for f in ("unfiltered", "filtered_1pct", "filtered_10pct"):
                assert b[mode][f]["queries"] == 20 and b[mode][f]["p50_ms"] > 0
        assert b["hybrid"]["filtered_1pct"]["matched_documents_median"] < b["hybrid"]["unfiltered"]["matched_documents_median"]
        assert all(b["facets"][f]["p50_ms"] > 0 for f in ("unfiltered", "filtered_1pct", "filtered_10pct"))
        assert all(b["browse"][f][w]["p50_ms"] > 0 for f in ("unfiltered", "filtered_1pct", "filtered_10pct")
                   for w in ("browse", "facets"))
    assert bench["machine"]["cpu"].get("cpu_family")
    # the server under stress: every search answered or shed, /health probed throughout
    st = bench["stress"]
    for run in ("clients_16", "clients_64"):
        assert st[run]["ok"] + st[run]["shed_503"] == st[run]["requests"] > 0 and not st[run]["errors"], st[run]
    for run in ("clients_16", "clients_64", "slowloris", "slowloris_over_limit", "huge_header"):
        assert st[run]["health"]["probes"] > 0 and "-1" not in st[run]["health"]["statuses"], st[run]
    assert "503" in st["slowloris_over_limit"]["health"]["statuses"]  # shed, not hung
    assert st["huge_header"]["answer"].startswith("HTTP/1.1 4")  # refused long before its end
    assert st["huge_header"]["sent_bytes"] < st["huge_header"]["header_bytes"]
    assert "stress_health_max_ms (every run; each probe answered)" in bench["targets"]
    # Milvus beside FAISS: a Milvus Lite server at the quick size, the API side by side, Ray indexing
    mv = bench["milvus"]
    for f in ("unfiltered", "filtered_1pct", "filtered_10pct"):
        r = mv["scale"]["2000"][f]
        assert r["returned_k"] and 0 <= r["recall@10"] <= 1 and r["p50_ms"] > 0, r
    assert mv["api"]["flat"]["p50_ms"] > 0 and mv["api"]["milvus"]["p50_ms"] > 0
    sm = mv["serving_memory"]  # measured at the quick size, in fresh processes
    assert sm["passages"] == 5_000, sm
    assert 0 < sm["serving"]["store_bytes_per_passage"] < sm["whole"]["store_bytes_per_passage"], sm
    assert "ray" in mv["ray_indexing"], mv["ray_indexing"]  # else the section's error
    assert mv["ray_indexing"]["ray"]["ray"]["embedded_on_ray"] == mv["ray_indexing"]["ray"]["passages"]
    assert mv["ray_indexing"]["plain"]["passages"] == mv["ray_indexing"]["ray"]["passages"]
    md = out_md.read_text()
    assert "Milvus beside FAISS" in md
    assert "API latency" in md and "The server under stress" in md and "Search core at scale" in md and "whole search path" in md
    assert "| hnsw-sq8 |" in md
    assert "p50" in done.stdout
