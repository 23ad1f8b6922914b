"""What a real server cannot be made to do on purpose: an unexpected failure is a
generic 500 without a traceback. And the serve command's own errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from service.main import create_app
from tests.conftest import REPO
from tests.fakes import FakeEncoder


def test_unexpected_error_is_a_generic_500_and_logged(fake_index: Path, caplog):
    app = create_app(fake_index, embedder=FakeEncoder())
    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1") as client:

        def boom(*args, **kwargs):
            raise RuntimeError("secret internal detail")

        app.state.holder.call = boom
        r = client.get("/search", params={"q": "migrants"})
    assert r.status_code == 500
    body = r.json()
    assert body["detail"]["param"] is None and "logged" in body["detail"]["message"]
    assert "secret internal detail" not in r.text and "Traceback" not in r.text
    assert "secret internal detail" in caplog.text


def test_page_headers_keep_it_self_contained(fake_index: Path):
    with TestClient(create_app(fake_index, embedder=FakeEncoder()), base_url="http://127.0.0.1") as client:
        r = client.get("/")
        assert "default-src 'self'" in r.headers["content-security-policy"]
        big = client.get("/objectives", headers={"accept-encoding": "gzip"})
        assert big.headers.get("content-encoding") == "gzip"


def test_serve_without_an_index_says_how_to_build_one(tmp_path: Path):
    r = subprocess.run(
        [sys.executable, "-m", "practice_search.cli", "serve", "--index", str(tmp_path / "none")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "practice-search index" in r.stderr and "Traceback" not in r.stderr


def test_settings_bound_k_and_query_length(fake_index: Path):
    from practice_search.config import Settings

    app = create_app(
        fake_index, embedder=FakeEncoder(), settings=Settings(max_k=5, max_query_chars=20)
    )
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/search", params={"q": "migrants", "k": 5}).status_code == 200
        r = client.get("/search", params={"q": "migrants", "k": 6})
        assert r.status_code == 422 and "5" in r.json()["detail"]["message"]
        r = client.get("/search", params={"q": "x" * 21})
        assert r.status_code == 422 and r.json()["detail"]["param"] == "q"
