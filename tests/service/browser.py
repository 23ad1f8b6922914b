"""Headless Chromium for the page test and the screenshot script.

Debian's Chromium (`make browser`), not a Playwright download; the flags keep it
from calling out to the network, which is closed here.

Screenshot of the page with results (a server must be running):
    .venv/bin/python -m tests.service.browser http://127.0.0.1:8000 docs/screenshot.png
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator:
    """A Playwright page in Debian's headless Chromium."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise FileNotFoundError("no chromium on PATH: run `make browser`")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def screenshot(
    base_url: str,
    out: Path,
    query: str = "acceso a la salud de las personas migrantes",
    country: str = "",
) -> Path:
    """The search page with results for a Spanish query, in Spanish (docs/screenshot.png
    was taken on the demo index of corpus/sample with the real model)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    params = {"q": query, "ui": "es", **({"country": country} if country else {})}
    with chromium(1200, 1000) as page:
        page.goto(f"{base_url}/?{urlencode(params)}")
        page.locator("#results .card mark").first.wait_for(timeout=60_000)
        page.screenshot(path=str(out), full_page=False)
    return out


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    dest = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshot.png")
    print(screenshot(url, dest))
