"""/docs works offline: Swagger UI's files come from the app, nothing from a CDN."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.service.browser import chromium, chromium_path
from tests.service.conftest import Server


def test_docs_page_loads_nothing_from_elsewhere(api: httpx.Client):
    r = api.get("/docs")
    assert r.status_code == 200
    assert "http://" not in r.text and "https://" not in r.text
    assert "script-src" not in r.headers["content-security-policy"]  # default-src 'self' covers scripts
    assert api.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert api.get("/static/docs-init.js").status_code == 200
    assert api.get("/redoc").status_code == 404  # FastAPI's ReDoc page loads from a CDN: off


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="no chromium: run `make browser`")
def test_docs_render_in_chromium_with_the_network_blocked(fake_server: Server):
    outside: list[str] = []
    with chromium() as page:
        def only_local(route):
            if route.request.url.startswith(fake_server.url):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        page.route("**/*", only_local)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{fake_server.url}/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("practice-search", timeout=30_000)
        expect(page.locator(".opblock-summary-path", has_text="/search").first).to_be_visible()
    assert outside == [] and errors == []
