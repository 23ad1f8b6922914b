"""API keys and CORS (service.access) on the app, through its real middleware stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from practice_search.config import Settings
from service.access import COOKIE, key_matches
from service.main import create_app
from tests.fakes import FakeEncoder
from tests.service.conftest import check_error

KEY_A, KEY_B = "a" * 16 + "-first-key", "b" * 16 + "-second-key"


def _client(index: Path, **settings) -> TestClient:
    app = create_app(index, embedder=FakeEncoder(), settings=Settings(**settings))
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture()
def keyed(fake_index: Path):
    with _client(fake_index, api_keys=[KEY_A, KEY_B]) as client:
        yield client


def test_without_keys_everything_answers_and_sign_in_is_a_404(fake_index: Path):
    with _client(fake_index) as client:
        assert client.get("/search", params={"q": "migrants"}).status_code == 200
        assert client.post("/session", json={"key": KEY_A}).status_code == 404


def test_with_keys_the_api_needs_one(keyed: TestClient):
    for path in ("/search?q=migrants", "/health", "/facets", "/objectives", "/gapmap", "/nothing"):
        r = keyed.get(path)
        msg = check_error(r, 401, "authorization")
        assert "X-API-Key" in msg and r.headers["www-authenticate"] == "Bearer", path
        assert KEY_A not in r.text
    assert check_error(keyed.post("/search", json={"q": "migrants"}), 401, "authorization")
    r = keyed.get("/search", params={"q": "migrants"}, headers={"authorization": f"Bearer {KEY_A}"})
    assert r.status_code == 200 and r.json()["hits"]
    assert keyed.get("/health", headers={"x-api-key": KEY_B}).status_code == 200
    assert keyed.get("/health", headers={"x-api-key": KEY_A[:-1]}).status_code == 401
    assert keyed.get("/health", headers={"authorization": "Bearer "}).status_code == 401


def test_with_keys_the_page_and_docs_still_load(keyed: TestClient):
    for path in ("/", "/static/app.js", "/static/style.css", "/docs", "/openapi.json"):
        assert keyed.get(path).status_code == 200, path


def test_the_page_signs_in_with_a_key_and_gets_an_httponly_cookie(keyed: TestClient):
    assert check_error(keyed.post("/session", json={"key": "not-a-key-of-this-server"}), 401, "key")
    assert check_error(keyed.post("/session", json={"key": ""}), 422, "key")
    r = keyed.post("/session", json={"key": KEY_B})
    assert r.status_code == 204
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert keyed.get("/search", params={"q": "migrants", "format": "csv"}).status_code == 200  # links work
    assert keyed.delete("/session").status_code == 204
    keyed.cookies.clear()
    assert keyed.get("/health").status_code == 401


def test_keys_are_compared_whole_and_must_be_long():
    keys = [KEY_A.encode(), KEY_B.encode()]
    assert key_matches(KEY_B, keys) and not key_matches(KEY_B + "x", keys)
    assert not key_matches(None, keys) and not key_matches("", keys)
    with pytest.raises(ValueError, match="at least 16"):
        Settings(api_keys=["short"])
    assert "first-key" not in repr(Settings(api_keys=[KEY_A]))  # never shown in logs


PREFLIGHT = {"origin": "https://portal.example.org", "access-control-request-method": "GET"}


def test_cors_is_off_by_default_and_a_preflight_says_how_to_allow_it(fake_index: Path):
    with _client(fake_index) as client:
        msg = check_error(client.options("/search", headers=PREFLIGHT), 403, "origin")
        assert "CORS_ORIGINS" in msg
        r = client.get("/search", params={"q": "migrants"}, headers={"origin": PREFLIGHT["origin"]})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_cors_allows_the_configured_origins_only(fake_index: Path):
    with _client(fake_index, cors_origins=["https://portal.example.org/"], api_keys=[KEY_A]) as client:
        r = client.options("/search", headers={**PREFLIGHT, "access-control-request-headers": "x-api-key"})
        assert r.status_code == 200  # a preflight carries no key
        assert r.headers["access-control-allow-origin"] == "https://portal.example.org"
        assert "x-api-key" in r.headers["access-control-allow-headers"].lower()
        ok = client.get("/search", params={"q": "migrants"},
                        headers={"origin": "https://portal.example.org", "x-api-key": KEY_A})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://portal.example.org"
        denied = client.get("/health", headers={"origin": "https://portal.example.org"})
        assert denied.status_code == 401  # the browser's script can read why
        assert denied.headers["access-control-allow-origin"] == "https://portal.example.org"
        other = client.options("/search", headers={**PREFLIGHT, "origin": "https://evil.example"})
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    with pytest.raises(ValueError, match="not an origin"):
        Settings(cors_origins=["portal.example.org"])
