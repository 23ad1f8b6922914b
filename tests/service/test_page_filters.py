"""The page's filters in a real headless Chromium, network blocked but for the server: several
countries as removable chips, year range, document type, sort, no search while arrowing
through a closed select, Back to a longer list at its scroll position, and a notice for a
query over the limit. Over the 50-practice sample corpus (fake encoder: these are about
the page, not the ranking)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import REPO
from tests.service.browser import chromium, chromium_path
from tests.service.conftest import Server, build_fake_index, start_server, stop_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="no chromium: run `make browser`"),
]


@pytest.fixture(scope="module")
def sample_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    index = build_fake_index(REPO / "corpus" / "sample", tmp_path_factory.mktemp("sample") / "index")
    server = start_server(index, tmp_path_factory.mktemp("sample-log") / "server.log", fake=True)
    yield server
    stop_server(server.process)


def _page(server: Server, page, path: str) -> list[str]:
    """Open `path` with every request off 127.0.0.1 refused; returns the refused URLs."""
    blocked: list[str] = []

    def route(r):
        if urlparse(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(f"{server.url}{path}")
    page.locator("#results .card").first.wait_for()
    return blocked


def _params(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _matched(server: Server, **params) -> int:
    return httpx.get(f"{server.url}/search", params=params, timeout=10).json()["matched_documents"]


def test_several_countries_as_chips_year_range_and_document_type(sample_server: Server):
    with chromium() as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        blocked = _page(sample_server, page, "/?ui=en")
        page.select_option("#country", "PE")
        expect(page.locator("#chips .chip")).to_have_count(1)
        page.select_option("#country", "CO")
        expect(page.locator("#chips .chip")).to_have_count(2)
        assert _params(page)["country"] == ["PE", "CO"]
        both = _matched(sample_server, country=["PE", "CO"])
        expect(page.locator("#status")).to_have_text(re.compile(rf"^{both} practices"))
        assert page.locator("#country option[value='PE']").count() == 0  # not offered twice
        # a year range and a document type narrow it further
        page.fill("#year_from", "2020")
        page.press("#year_from", "Enter")
        expect(page).to_have_url(re.compile(r"year_from=2020"))
        doc_type = page.locator("#doc_type option").nth(1).get_attribute("value")
        page.select_option("#doc_type", doc_type)
        expect(page).to_have_url(re.compile(rf"doc_type={doc_type}"))
        n = _matched(sample_server, country=["PE", "CO"], year_from=2020, doc_type=doc_type)
        expect(page.locator("#status")).to_have_text(re.compile(rf"^{n} practice"))
        # a chip removes its filter, the others stay
        page.get_by_role("button", name=re.compile("Remove the filter: Peru")).click()
        expect(page).not_to_have_url(re.compile(r"country=PE"))
        assert _params(page)["country"] == ["CO"] and _params(page)["year_from"] == ["2020"]
        assert not errors and not blocked, (errors, blocked)


def test_arrow_keys_on_a_closed_select_do_not_search_until_chosen(sample_server: Server):
    with chromium() as page:
        _page(sample_server, page, "/?ui=en")
        before = page.url
        page.focus("#objective")
        for _ in range(3):
            page.keyboard.press("ArrowDown")
        page.wait_for_timeout(500)
        assert page.url == before  # no search, no history entry per key
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"objective=\d+"))
        assert len(_params(page)["objective"]) == 1


def test_sort_by_title_without_a_query(sample_server: Server):
    with chromium() as page:
        _page(sample_server, page, "/?ui=en")
        page.select_option("#sort", "title")
        expect(page).to_have_url(re.compile(r"sort=title"))
        expect(page.locator("#status")).to_contain_text("by title")
        first = httpx.get(f"{sample_server.url}/search", params={"sort": "title"}, timeout=10).json()["hits"][0]
        expect(page.locator("#results .card h3").first).to_have_text(first["title"])
        page.fill("#q", "trafficking")
        page.press("#q", "Enter")
        expect(page.locator("#sort-box")).to_be_hidden()  # a query is ranked by relevance


def test_back_returns_to_the_longer_list_at_its_place(sample_server: Server):
    with chromium(1280, 800) as page:
        _page(sample_server, page, "/?ui=en")
        for shown in (20, 30):
            page.locator("#more").click()
            expect(page.locator("#results .card")).to_have_count(shown)
        card = page.locator("#results .card").nth(24)
        card.scroll_into_view_if_needed()
        title = card.locator("h3").inner_text()
        card.locator("h3 a").click()
        expect(page.locator("#doc-title")).to_have_text(title)
        page.go_back()
        expect(page.locator("#results .card")).to_have_count(30)
        expect(page.locator("#results .card").nth(24)).to_be_in_viewport()


def test_a_query_over_the_limit_is_refused_with_a_notice(sample_server: Server):
    with chromium() as page:
        _page(sample_server, page, "/?ui=es")
        page.fill("#q", "migración " * 120)  # 1,320 characters; the server takes 1,000
        expect(page.locator("#q-notice")).to_be_visible()
        expect(page.locator("#q-notice")).to_contain_text("1000")
        page.press("#q", "Enter")
        page.wait_for_timeout(300)
        assert "q" not in _params(page)  # not searched, not cut silently
        page.fill("#q", "migración")
        expect(page.locator("#q-notice")).to_be_hidden()


def test_health_reports_the_limits_the_page_uses(sample_server: Server):
    limits = httpx.get(f"{sample_server.url}/health", timeout=10).json()["limits"]
    assert limits["max_query_chars"] == 1000 and limits["max_k"] == 100


def _contrast(fg: str, bg: str) -> float:
    """WCAG contrast of two computed `rgb(...)`/`rgba(...)` colours (bg over white)."""
    def rgb(css: str) -> tuple[float, float, float]:
        parts = [float(x) for x in re.findall(r"[\d.]+", css)]
        r, g, b, a = (*parts[:3], parts[3] if len(parts) > 3 else 1.0)
        return tuple(255 * (1 - a) + v * a for v in (r, g, b))

    def lum(c: tuple[float, float, float]) -> float:
        ch = [(v / 255) / 12.92 if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(rgb(fg)), lum(rgb(bg))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_gap_map_reads_top_countries_contrast_keys_regions(sample_server: Server):
    gm = httpx.get(f"{sample_server.url}/gapmap", timeout=10).json()
    with chromium() as page:
        page.goto(f"{sample_server.url}/?view=gap&ui=en")
        page.locator("#gap a.cell").first.wait_for()
        # the twelve countries with most evidence first; the rest one click away
        heads = page.locator("#gap thead th").all_inner_texts()[1:]
        assert len(heads) == 12 < len(gm["columns"])
        totals = {c: sum(r["counts"][c] for r in gm["rows"]) for c in gm["columns"]}
        names = {gm["column_labels"][c]["en"]: totals[c] for c in gm["columns"]}
        assert [names[h] for h in heads] == sorted((names[h] for h in heads), reverse=True)
        assert min(names[h] for h in heads) >= sorted(totals.values(), reverse=True)[11]
        page.locator("#gap-all").click()
        expect(page.locator("#gap thead th")).to_have_count(len(gm["columns"]) + 1)
        # every cell number at 4.5:1 or more against its cell
        styles = page.locator("#gap td.filled").evaluate_all(
            "tds => tds.map(td => [getComputedStyle(td.querySelector('a')).color, getComputedStyle(td).backgroundColor])")
        assert styles and min(_contrast(fg, bg) for fg, bg in styles) >= 4.5
        # one tab stop; arrows move inside the grid
        assert page.locator("#gap [tabindex='0']").count() == 1
        first = page.locator("#gap .cell[data-r='0'][data-c='0']")
        first.focus()
        page.keyboard.press("ArrowRight")
        expect(page.locator("#gap .cell[data-r='0'][data-c='1']")).to_be_focused()
        page.keyboard.press("ArrowDown")
        expect(page.locator("#gap .cell[data-r='1'][data-c='1']")).to_be_focused()
        assert page.locator("#gap [tabindex='0']").count() == 1
        # regions: translated, and a cell opens exactly its practices
        page.goto(f"{sample_server.url}/?view=gap&ui=es&by=region")
        page.locator("#gap a.cell").first.wait_for()
        assert "América Latina y el Caribe" in page.locator("#gap thead").inner_text()
        cell = page.locator("#gap a.cell").first
        count = int(cell.inner_text().split()[0])
        cell.click()
        expect(page.locator("#status")).to_have_text(re.compile(rf"^{count} "))


def test_gap_map_at_phone_width_scrolls_inside_its_box(sample_server: Server):
    with chromium(375, 740) as page:
        page.goto(f"{sample_server.url}/?view=gap&ui=es")
        page.locator("#gap a.cell").first.wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 380  # the page does not scroll sideways; the map does, in its box
        label = page.locator("#gap tbody th").first
        assert label.evaluate("e => getComputedStyle(e).position") == "sticky"
        box = page.locator(".gap-wrap")
        box.scroll_into_view_if_needed()
        box.evaluate("e => { e.scrollLeft = 400; }")
        assert box.evaluate("e => e.scrollLeft") > 0  # wider than the phone: it scrolls
        # the objective stays at the box's left edge beside its row
        assert abs(label.bounding_box()["x"] - box.bounding_box()["x"]) < 3
