"""A server with API keys, in a real headless Chromium and over real HTTP: the page asks for
the key, signs in, searches, and its CSV link downloads; API clients send the key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.service.browser import chromium, chromium_path
from tests.service.conftest import Server, start_server, stop_server

KEY = "field-office-key-0123456789"


@pytest.fixture(scope="module")
def keyed_server(fake_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        fake_index, tmp_path_factory.mktemp("keyed") / "server.log", fake=True,
        env_extra={"PRACTICE_SEARCH_API_KEYS": f'["{KEY}"]'}, headers={"x-api-key": KEY},
    )
    yield server
    stop_server(server.process)


def test_api_clients_send_the_key(keyed_server: Server):
    assert httpx.get(f"{keyed_server.url}/search", params={"q": "migrants"}, timeout=10).status_code == 401
    r = httpx.get(f"{keyed_server.url}/search", params={"q": "migrants"},
                  headers={"authorization": f"Bearer {KEY}"}, timeout=10)
    assert r.status_code == 200 and r.json()["hits"]
    assert KEY not in keyed_server.log.read_text(errors="replace")


def test_behind_a_tls_proxy_the_page_cookie_is_secure(keyed_server: Server):
    """uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (a reverse proxy on the machine)."""
    plain = httpx.post(f"{keyed_server.url}/session", json={"key": KEY}, timeout=10)
    assert plain.status_code == 204 and "secure" not in plain.headers["set-cookie"].lower()
    proxied = httpx.post(f"{keyed_server.url}/session", json={"key": KEY}, timeout=10,
                         headers={"x-forwarded-proto": "https"})
    assert proxied.status_code == 204 and "; secure" in proxied.headers["set-cookie"].lower()


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="no chromium: run `make browser`")
def test_the_page_asks_for_the_key_then_searches_and_downloads(keyed_server: Server):
    with chromium() as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{keyed_server.url}/?ui=en&q=trafficking")
        expect(page.locator("#signin")).to_be_visible()
        expect(page.locator("#search-form")).to_be_hidden()
        key_box = page.get_by_label("Access key")
        key_box.fill("not-the-key-of-this-server")
        key_box.press("Enter")
        expect(page.locator("#signin-error")).to_contain_text("not valid")
        key_box.fill(KEY)
        key_box.press("Enter")
        page.locator("#results .card").first.wait_for()
        expect(page.locator("#signin")).to_be_hidden()
        expect(page.locator("#search-form")).to_be_visible()
        csv_href = page.locator("#dl-csv").get_attribute("href")
        download = page.request.get(f"{keyed_server.url}{csv_href}")  # the page's cookie
        assert download.status == 200 and "text/csv" in download.headers["content-type"]
        assert not errors, errors
