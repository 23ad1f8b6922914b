"""Load generator, run as its own process: `python -m bench.loadgen SPEC.json`.

Sends GET /search requests to a server on 127.0.0.1 from a few concurrent clients,
bounded in request count and in time, and prints one JSON object: per-request latency
(ms), status, and the server's own `timing_ms` when the response carries it.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any
from urllib.parse import urlparse


def run_load(
    base_url: str, queries: list[str], *, params: dict[str, Any] | None = None,
    concurrency: int = 4, requests: int = 200, max_seconds: float = 60.0, warmup: int = 10,
) -> dict[str, Any]:
    """Send `requests` searches (round-robin over `queries`) from `concurrency` threads,
    after `warmup` untimed ones; stop early after `max_seconds`."""
    import httpx

    host = urlparse(base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load is only sent to the local machine, not {host!r}")
    params = dict(params or {})
    with httpx.Client(base_url=base_url, timeout=30.0) as c:
        for i in range(warmup):
            c.get("/search", params={"q": queries[i % len(queries)], **params})

    lock = threading.Lock()
    counter = {"next": 0}
    results: list[dict[str, Any]] = []
    deadline = time.perf_counter() + max_seconds

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=30.0) as client:
            while True:
                with lock:
                    i = counter["next"]
                    counter["next"] += 1
                if i >= requests or time.perf_counter() > deadline:
                    return
                q = queries[i % len(queries)]
                t0 = time.perf_counter()
                try:
                    r = client.get("/search", params={"q": q, **params})
                    status = r.status_code
                    body = r.content
                except httpx.HTTPError as exc:
                    status, body = -1, str(exc).encode()
                ms = (time.perf_counter() - t0) * 1000
                timing: dict[str, Any] = {}
                hits = None
                if status == 200:
                    try:
                        data = json.loads(body)
                        timing = data.get("timing_ms") or {}
                        hits = len(data.get("hits", []))
                    except ValueError:
                        pass
                with lock:
                    results.append({"ms": ms, "status": status, "timing_ms": timing, "hits": hits, "bytes": len(body)})

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max_seconds + 35)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "concurrency": concurrency, "results": results}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as fh:
        spec = json.load(fh)
    out = run_load(
        spec["base_url"], spec["queries"], params=spec.get("params"), concurrency=spec.get("concurrency", 4),
        requests=spec.get("requests", 200), max_seconds=spec.get("max_seconds", 60.0), warmup=spec.get("warmup", 10),
    )
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
