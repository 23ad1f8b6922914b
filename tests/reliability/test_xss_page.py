"""Markup inside indexed documents never runs on the page: a practice whose title and text
carry <script>, <img onerror> and <svg onload> is searched for and opened in headless
Chromium; any JavaScript dialog fails the test, and the markup shows as text."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.reliability.conftest import XSS_ID
from tests.service.browser import chromium, chromium_path
from tests.service.conftest import Server

pytestmark = pytest.mark.browser


@pytest.mark.skipif(chromium_path() is None, reason="no chromium on PATH: run `make browser`")
def test_hostile_markup_is_shown_as_text_and_never_executed(hostile_server: Server):
    dialogs: list[str] = []
    with chromium() as page:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{hostile_server.url}/?{urlencode({'q': 'trafficking shelters alert', 'ui': 'en'})}")
        page.locator("#results .card").first.wait_for(timeout=60_000)
        results = page.locator("#results")
        assert "<script>alert(1)</script>" in results.inner_text()  # the title, as text
        assert results.locator("script, img, svg, iframe, [onerror], [onload]").count() == 0
        page.goto(f"{hostile_server.url}/?{urlencode({'view': 'doc', 'id': XSS_ID, 'ui': 'en'})}")
        page.locator("#doc-title").wait_for(timeout=60_000)
        assert "<script>" in page.locator("#doc-title").inner_text()
        assert page.locator("body").locator("img, svg, iframe, [onerror], [onload]").count() == 0
        page.wait_for_timeout(500)  # give any injected handler the chance to fire
        assert page.evaluate("() => document.querySelectorAll('script:not([src])').length") == 0
    assert not dialogs, f"the page ran injected script: {dialogs}"
