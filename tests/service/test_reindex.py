"""Re-indexing while the server runs: the new index is picked up without a
restart, and no request fails meanwhile."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx

from tests.service.conftest import SEED_DOC, build_fake_index, start_server, stop_server


def test_rebuilt_index_is_served_without_restart_and_no_request_fails(
    seeds_dir: Path, tmp_path: Path
):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seeds = sorted(seeds_dir.glob("*.txt"))
    for f in seeds[1:3]:  # start without the seed document 000
        shutil.copy(f, corpus / f.name)
    index_dir = build_fake_index(corpus, tmp_path / "index")
    server = start_server(index_dir, tmp_path / "server.log", fake=True)
    failures: list[str] = []
    counts = {"requests": 0}
    stop = threading.Event()

    def hammer(path: str, params: dict) -> None:
        with server.client(timeout=30) as c:
            while not stop.is_set():
                try:
                    r = c.get(path, params=params)
                    if r.status_code != 200:
                        failures.append(f"{path} {r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    failures.append(f"{path} {exc!r}")
                counts["requests"] += 1

    threads = [
        threading.Thread(target=hammer, args=("/search", {"q": "migrants trafficking", "k": 5})),
        threading.Thread(
            target=hammer, args=("/search", {"q": "mujeres migrantes", "mode": "bm25"})
        ),
        threading.Thread(target=hammer, args=("/facets", {"q": "migrants"})),
        threading.Thread(target=hammer, args=("/gapmap", {})),
    ]
    try:
        with server.client() as c:
            before = c.get("/health").json()
            assert before["documents"] == 2 and before["reloads"] == 0
            assert c.get(f"/practices/{SEED_DOC}").status_code == 404
        for t in threads:
            t.start()
        time.sleep(1.0)
        # Two rebuilds under load: add every seed, then drop one again.
        for f in seeds:
            shutil.copy(f, corpus / f.name)
        build_fake_index(corpus, index_dir)
        with server.client() as c:
            deadline = time.monotonic() + 20
            while c.get("/health").json()["documents"] != len(seeds):
                assert time.monotonic() < deadline, "the rebuilt index was not picked up in 20 s"
                time.sleep(0.2)
            assert c.get(f"/practices/{SEED_DOC}").status_code == 200
            assert SEED_DOC in [
                h["doc_id"]
                for h in c.get("/search", params={"q": "Peru Ecuador", "k": 10}).json()["hits"]
            ]
        (corpus / seeds[-1].name).unlink()
        build_fake_index(corpus, index_dir)
        with server.client() as c:
            deadline = time.monotonic() + 20
            while c.get("/health").json()["documents"] != len(seeds) - 1:
                assert time.monotonic() < deadline, "the second rebuild was not picked up in 20 s"
                time.sleep(0.2)
            time.sleep(0.5)
            health = c.get("/health").json()
            assert health["reloads"] == 2
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        stop_server(server.process)
    assert counts["requests"] > 20
    assert not failures, failures[:5]
    assert "Traceback" not in server.log_text()
