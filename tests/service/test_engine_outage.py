"""Milvus going away under a running `practice-search serve`: the API answers 503 with
Retry-After and a message, not a 500, stays up, and answers again once Milvus is back.
A real Milvus Lite server of its own (the session's is shared), a real HTTP server."""

from __future__ import annotations

import time
from pathlib import Path

from indexer.backends.milvus.server import MilvusServer
from tests.service.conftest import build_fake_index, start_server, stop_server


def test_a_milvus_outage_is_a_503_and_the_server_recovers(seeds_dir: Path, tmp_path: Path):
    milvus = MilvusServer(tmp_path / "milvus")
    try:
        index = build_fake_index(seeds_dir, tmp_path / "index", backend="milvus", milvus_uri=milvus.uri)
        server = start_server(index, tmp_path / "server.log", fake=True)
        try:
            with server.client() as c:
                assert c.get("/search", params={"q": "trafficking"}).status_code == 200
                milvus.stop()
                for path in ("/search?q=remesas", "/practices/000_9f6ad38c9b693b1b"):
                    r = c.get(path)
                    assert r.status_code == 503, (path, r.status_code, r.text[:300])
                    assert r.headers["retry-after"].isdigit()
                    assert "search engine" in r.json()["detail"]["message"]
                    assert milvus.uri.split("//")[-1] not in r.text  # where Milvus runs stays in the log
                assert c.get("/health").status_code == 200
                milvus = MilvusServer(tmp_path / "milvus", port=milvus.port)  # back, on the same data
                deadline = time.monotonic() + 60  # the client reconnects with gRPC's backoff
                while (status := c.get("/search", params={"q": "remesas"}).status_code) != 200:
                    assert status == 503 and time.monotonic() < deadline, status
                    time.sleep(1)
        finally:
            stop_server(server.process)
        assert "search engine unavailable" in (tmp_path / "server.log").read_text()
    finally:
        milvus.stop()
