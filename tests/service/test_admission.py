"""Admission of expensive requests (service.limits.Admission) on the app: at most
MAX_ACTIVE_REQUESTS run, MAX_QUEUED_REQUESTS wait, the rest get a 503 with Retry-After,
and /health is never queued behind searches."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from practice_search.config import Settings
from service.main import create_app
from tests.fakes import FakeEncoder
from tests.service.conftest import check_error


class GatedEncoder(FakeEncoder):
    """Query embedding blocks until the test opens the gate; counts queries in progress."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            self.gate.wait(30)
            return super().embed_queries(texts)
        finally:
            with self._lock:
                self.running -= 1


def test_over_the_queue_is_a_503_and_health_answers_meanwhile(fake_index: Path):
    enc = GatedEncoder()
    enc.gate.set()  # start-up embeds a warm-up query
    app = create_app(fake_index, embedder=enc, settings=Settings(max_active_requests=2, max_queued_requests=2))
    with TestClient(app, base_url="http://127.0.0.1") as client, ThreadPoolExecutor(8) as pool:
        enc.gate.clear()
        enc.most = 0
        futures = [pool.submit(client.get, "/search", params={"q": f"migrants {i}"}) for i in range(4)]
        deadline = time.monotonic() + 10
        while enc.running < 2 and time.monotonic() < deadline:  # two running, two waiting
            time.sleep(0.02)
        time.sleep(0.2)
        t0 = time.monotonic()
        busy = client.get("/search", params={"q": "one more"})
        health = client.get("/health")
        assert health.status_code == 200 and time.monotonic() - t0 < 2
        enc.gate.set()
        statuses = sorted(f.result().status_code for f in futures)
    assert statuses == [200, 200, 200, 200]
    assert enc.most == 2
    message = check_error(busy, 503, None)
    assert busy.headers["retry-after"] == "1"
    assert "busy" in message and "2 requests running" in message
