"""The server under stress: many clients, slow clients and a huge header, while /health is
probed throughout. `practice-search bench` runs it as the "stress" section; alone:
`python -m bench.stress --index var/demo-index [--json-out reports/bench.stress.json]`.

One `practice-search serve` process with the default settings (what users run), on
127.0.0.1; the search load comes from a second process (bench.loadgen), and this process
probes /health every 100 ms and drives the hostile clients. Everything is bounded in count
and time. Runs:
- `clients_16`, `clients_64`: closed-loop /search load; 503s count as shed, not as errors;
- `slowloris`: SLOW connections that trickle a request head and never finish it (fewer than
  MAX_CONNECTIONS, so /health can answer 200), held for HOLD_S seconds;
- `slowloris_over_limit`: more slow connections than MAX_CONNECTIONS: /health is shed with
  503 (answered, not hung) until the head timeout cuts them;
- `huge_header`: a 150 MB request head sent as fast as the socket takes it.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench.api import run_loadgen, serve, summarise_load
from bench.stats import latency_summary, loadavg, machine_info, rss_bytes

PROBE_EVERY_S = 0.1
HOLD_S = 5.0
HEADER_BYTES = 150 * 2**20
TARGETS = {"clients_16_p99_ms": 300.0, "clients_64_p50_ms": 1000.0, "health_max_ms": 1000.0}


class HealthProbe:
    """GET /health every PROBE_EVERY_S on its own connection each time (as a load balancer
    does) until stopped: latency and status of each probe."""

    def __init__(self, base: str):
        self.base, self.samples, self._stop = base, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import httpx

        while not self._stop.is_set():
            t0 = time.perf_counter()
            try:
                status = httpx.get(self.base + "/health", timeout=5.0).status_code
            except httpx.HTTPError:
                status = -1
            self.samples.append(((time.perf_counter() - t0) * 1000, status))
            self._stop.wait(PROBE_EVERY_S)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(10)

    def summary(self) -> dict[str, Any]:
        ms = [m for m, _ in self.samples]
        statuses: dict[str, int] = {}
        for _, s in self.samples:
            statuses[str(s)] = statuses.get(str(s), 0) + 1
        return {"probes": len(ms), "max_ms": round(max(ms), 1) if ms else None,
                "p50_ms": latency_summary(ms)["p50_ms"] if ms else None, "statuses": statuses}


def enough_queries(queries: list[str], n: int) -> list[str]:
    """`n` distinct texts (numbered spellings past the given ones), so no request of a run
    is answered from the server's query-embedding cache."""
    out = list(dict.fromkeys(queries))
    k = 2
    while len(out) < n:
        out += [f"{q} ({k})" for q in queries[: n - len(out)]]
        k += 1
    return out[:n]


def _load(base: str, queries: list[str], clients: int, per_client: int) -> dict[str, Any]:
    spec = {"base_url": base, "queries": queries, "params": {}, "concurrency": clients,
            "requests": clients * per_client, "max_seconds": 90, "warmup": 0}
    with HealthProbe(base) as probe:
        s = summarise_load(run_loadgen(spec, timeout=240))
    s["shed_503"] = s["errors"].pop("503", 0)
    s["health"] = probe.summary()
    return s


def _slowloris(base: str, n: int, hold_s: float) -> dict[str, Any]:
    u = urlparse(base)
    socks: list[socket.socket] = []
    refused = 0
    with HealthProbe(base) as probe:
        for _ in range(n):
            try:
                s = socket.create_connection((u.hostname, u.port), timeout=2)
                s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                socks.append(s)
            except OSError:
                refused += 1
        deadline = time.monotonic() + hold_s
        while time.monotonic() < deadline:
            for s in socks:
                try:
                    s.sendall(b"X-a: b\r\n")  # a byte now and then: still not a whole head
                except OSError:
                    pass
            time.sleep(0.5)
        closed = 0
        for s in socks:
            try:
                s.settimeout(0.01)
                closed += s.recv(1) == b""
            except OSError:
                pass
            s.close()
    return {"connections": n, "refused_at_connect": refused, "held_s": hold_s,
            "closed_by_server": closed, "health": probe.summary()}


def _huge_header(base: str, size: int) -> dict[str, Any]:
    u = urlparse(base)
    chunk = b"a" * 2**20
    sent, t0, answer = 0, time.perf_counter(), b""
    with HealthProbe(base) as probe:
        s = socket.create_connection((u.hostname, u.port), timeout=10)
        try:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Junk: ")
            while sent < size:
                s.sendall(chunk)
                sent += len(chunk)
            s.sendall(b"\r\n\r\n")
        except OSError:
            pass  # the server closed the connection: the point
        try:
            s.settimeout(5)
            answer = s.recv(200)
        except OSError:
            pass
        s.close()
        time.sleep(1.0)  # and the server answers others afterwards
    return {"header_bytes": size, "sent_bytes": sent, "seconds": round(time.perf_counter() - t0, 2),
            "answer": answer.split(b"\r\n", 1)[0].decode("latin-1", "replace"), "health": probe.summary()}


def run_stress(index_dir: Path, queries: list[str], *, quick: bool = False, log=print) -> dict[str, Any]:
    """All runs on one fresh server with the default settings."""
    from practice_search.config import get_settings

    settings = get_settings()
    out: dict[str, Any] = {"index": str(index_dir), "max_connections": settings.max_connections,
                           "header_timeout_s": settings.header_timeout_s}
    with serve(index_dir) as (base, pid):
        import httpx

        with httpx.Client(base_url=base, timeout=60) as c:  # warm-up, not measured
            for i in range(8):
                c.get("/search", params={"q": f"warm-up query {i}: migration"})
        for name, clients, per_client in (("clients_16", 16, 30), ("clients_64", 64, 10)):
            per_client = 3 if quick else per_client
            texts = enough_queries([f"{q} [{name}]" for q in queries], clients * per_client)
            r = out[name] = _load(base, texts, clients, per_client)
            log(f"  stress {name}: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, {r['ok']}/{r['requests']} ok, "
                f"{r['shed_503']} shed (503), errors {r['errors']}; /health max {r['health']['max_ms']} ms")
        hold = 2.0 if quick else HOLD_S
        under = max(1, settings.max_connections - 28)
        for name, n in (("slowloris", under), ("slowloris_over_limit", settings.max_connections + 72)):
            r = out[name] = _slowloris(base, n, hold)
            log(f"  stress {name}: {n} slow connections for {hold:.0f} s; /health max {r['health']['max_ms']} ms, "
                f"statuses {r['health']['statuses']}")
        r = out["huge_header"] = _huge_header(base, 32 * 2**20 if quick else HEADER_BYTES)
        log(f"  stress huge_header: {r['sent_bytes']:,} of {r['header_bytes']:,} bytes sent, answer {r['answer']!r}; "
            f"/health max {r['health']['max_ms']} ms")
        out["server_rss_bytes"] = rss_bytes(pid)
    return out


def stress_targets(bench: dict[str, Any], put) -> None:
    st = bench.get("stress") or {}
    c16, c64 = st.get("clients_16") or {}, st.get("clients_64") or {}
    if c16.get("p99_ms") is not None:
        ok = c16["p99_ms"] <= TARGETS["clients_16_p99_ms"] and not c16["errors"] and not c16["shed_503"]
        put("stress_16_clients_p99_ms (no errors, none shed)", c16["p99_ms"], TARGETS["clients_16_p99_ms"], ok)
    if c64.get("p50_ms") is not None:
        ok = c64["p50_ms"] <= TARGETS["clients_64_p50_ms"] and not c64["errors"]
        put("stress_64_clients_p50_ms (every request answered or shed with 503)", c64["p50_ms"],
            TARGETS["clients_64_p50_ms"], ok)
    runs = [k for k in ("clients_16", "clients_64", "slowloris", "slowloris_over_limit", "huge_header") if st.get(k)]
    if runs:
        worst = max(st[k]["health"]["max_ms"] or 0.0 for k in runs)
        unanswered = sum(st[k]["health"]["statuses"].get("-1", 0) for k in runs)
        put("stress_health_max_ms (every run; each probe answered)", worst, TARGETS["health_max_ms"],
            worst <= TARGETS["health_max_ms"] and not unanswered)


def stress_markdown(st: dict[str, Any]) -> list[str]:
    if not st or st.get("skipped") or st.get("error"):
        return []
    lines = [
        "## The server under stress (default settings; load from a second process; /health probed every 100 ms)",
        "",
        "| run | what | p50 ms | p99 ms | answered | shed (503) | errors | /health max ms | /health statuses |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("clients_16", "clients_64"):
        r = st.get(name)
        if r:
            lines.append(f"| {name} | {r['concurrency']} clients, {r['requests']} searches | {r['p50_ms']} | "
                         f"{r['p99_ms']} | {r['ok']} | {r['shed_503']} | {r['errors'] or 0} | "
                         f"{r['health']['max_ms']} | {r['health']['statuses']} |")
    for name in ("slowloris", "slowloris_over_limit"):
        r = st.get(name)
        if r:
            lines.append(f"| {name} | {r['connections']} heads trickled for {r['held_s']:.0f} s "
                         f"(MAX_CONNECTIONS {st.get('max_connections')}) | | | | | | "
                         f"{r['health']['max_ms']} | {r['health']['statuses']} |")
    r = st.get("huge_header")
    if r:
        lines.append(f"| huge_header | {r['header_bytes'] / 2**20:.0f} MB header: {r['sent_bytes'] / 2**20:.0f} MB "
                     f"sent before the server closed, answer `{r['answer']}` | | | | | | "
                     f"{r['health']['max_ms']} | {r['health']['statuses']} |")
    return lines + ["", f"Server RSS after the runs: {st.get('server_rss_bytes', 0) / 2**20:.0f} MiB.", ""]


def main(argv: list[str] | None = None) -> int:
    from bench.queries import QUERIES, distinct_variants

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, default=Path("var/demo-index"))
    p.add_argument("--json-out", type=Path, default=Path("reports/bench.stress.json"))
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    out = {"machine": machine_info(), "loadavg_start": loadavg(),
           "stress": run_stress(args.index, distinct_variants(QUERIES, per_query=8), quick=args.quick)}
    out["loadavg_end"] = loadavg()
    targets: dict[str, Any] = {}
    stress_targets(out, lambda n, v, b, ok: targets.__setitem__(n, {"value": v, "target": b, "met": ok}))
    out["targets"] = targets
    args.json_out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print("\n".join(stress_markdown(out["stress"])))
    for n, t in targets.items():
        print(f"{n}: {t['value']} (target {t['target']}) {'met' if t['met'] else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
