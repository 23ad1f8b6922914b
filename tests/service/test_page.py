"""The search page in a real headless Chromium against a real server (real model,
seeds index): Spanish query, country filter, an English answer highlighted,
similar practices, the document view, the language switch, the gap map. The page's
Content-Security-Policy stays on, so waits use Playwright's `expect` (no eval)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.service.browser import chromium, chromium_path
from tests.service.conftest import Server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="no chromium: run `make browser`"),
]

QUERY = "trata de niños y trabajo infantil en Perú"


def url_params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def run_page_journey(server: Server) -> None:
    with chromium() as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.url}/?ui=es")
        # Spanish interface, labelled controls; the first load lists every practice
        assert page.locator("#go").inner_text() == "Buscar"
        expect(page.locator("#status")).to_contain_text("más recientes primero")
        search_box = page.get_by_label("¿Qué práctica busca?")
        search_box.fill(QUERY)
        search_box.press("Enter")
        # the query's results, not the list shown before it
        expect(page.locator("#status")).to_contain_text("encontrad")
        page.locator("#results .card").first.wait_for()
        assert url_params(page.url)["q"] == [QUERY]

        # Pick a country: the select shows document counts.
        peru = page.locator("#country option[value='PE']")
        assert re.search(r"Perú \(\d+\)", peru.inner_text())
        page.select_option("#country", "PE")
        expect(page).to_have_url(re.compile(r"[?&]country=PE(&|$)"))
        expect(page.locator("#status")).to_contain_text("Perú")
        status = page.locator("#status")
        assert status.get_attribute("aria-live") == "polite"
        assert re.search(r"\d+ práctica", status.inner_text())

        # An English practice answers the Spanish query, its passage highlighted.
        english = page.locator(
            "#results .card", has=page.locator(".badge.lang", has_text=re.compile(r"^EN$"))
        )
        assert english.count() >= 1
        assert english.locator(".passage.answer mark").count() >= 1
        assert all(
            "Perú" in c or "Peru" in c
            for c in page.locator("#results .card .meta").all_inner_texts()
        )
        # Only <mark> came from the server's HTML.
        assert (
            page.evaluate("document.querySelectorAll('#results .passage p *:not(mark)').length")
            == 0
        )

        # "Search only in lessons learned": every answering passage comes from that section.
        n_unfiltered = page.locator("#results .card").count()
        first_unfiltered = page.locator("#results .card").first.get_attribute("data-doc-id")
        page.select_option("#section", "lessons")
        expect(page).to_have_url(re.compile(r"[?&]section=lessons(&|$)"))
        expect(page.locator("#status")).not_to_contain_text("…")
        kinds = page.locator("#results .passage").evaluate_all(
            "ps => ps.map(p => p.dataset.sectionKind)"
        )
        assert kinds and set(kinds) == {"lessons"}
        page.select_option("#section", "")
        expect(page).not_to_have_url(re.compile(r"[?&]section="))
        # wait for the unfiltered results to replace the lessons-only ones before reading them
        expect(page.locator("#results .card")).to_have_count(n_unfiltered)
        expect(page.locator("#results .card").first).to_have_attribute("data-doc-id", first_unfiltered)

        # Download links carry the current search.
        csv_href = page.locator("#dl-csv").get_attribute("href")
        assert "format=csv" in csv_href and "country=PE" in csv_href

        # Similar practices.
        first_id = page.locator("#results .card").first.get_attribute("data-doc-id")
        page.locator("#results .card").first.locator("a.similar").click()
        expect(page).to_have_url(re.compile(r"[?&]similar="))
        page.locator("#similar-note").wait_for()
        page.locator("#results .card").first.wait_for()
        similar_ids = page.locator("#results .card").evaluate_all(
            "cs => cs.map(c => c.dataset.docId)"
        )
        assert similar_ids and first_id not in similar_ids

        # The document view: every passage, with its sections; the answering one marked and in view.
        page.locator("#results .card h3 a").first.click()
        page.locator("#doc h2").wait_for()
        assert url_params(page.url)["view"] == ["doc"] and url_params(page.url)["passage"]
        marked = page.locator("#doc .doc-passages p.answer")
        expect(marked).to_have_count(1)
        expect(marked).to_be_in_viewport()
        expect(marked.locator(".answer-mark")).to_contain_text("responde")
        assert page.locator("#doc .doc-passages p").count() > 3
        assert page.locator("#doc .doc-passages h3").count() >= 2
        page.go_back()
        page.locator("#results .card").first.wait_for()

        # The English interface: labels and objective names change.
        page.locator("button[data-ui='en']").click()
        expect(page.locator("#go")).to_have_text("Search")
        assert page.locator("html").get_attribute("lang") == "en"

        # Back to the Peru search, then the gap map for it.
        page.goto(f"{server.url}/?q={QUERY}&ui=es")
        page.locator("#results .card").first.wait_for()
        page.locator("#tab-gap").click()
        page.locator("#gap tbody tr").first.wait_for()
        assert page.locator("#gap tbody tr").count() == 23
        assert page.locator("#gap tbody th").first.inner_text().startswith("1. ")
        assert page.locator("#gap td.empty").count() > 0
        cell = page.locator("#gap a.cell").first
        objective, country = (
            cell.get_attribute("data-objective"),
            cell.get_attribute("data-country"),
        )
        cell.click()
        expect(page).to_have_url(re.compile(r"[?&]view=search(&|$)"))
        page.locator("#results .card").first.wait_for()
        params = url_params(page.url)
        assert params["country"] == [country] and params["objective"] == [objective]
        # the chosen country and objective show as chips, and are not offered again
        expect(page.locator("#chips .chip")).to_have_count(2)
        assert page.locator(f"#country option[value='{country}']").count() == 0
        assert page.locator(f"#objective option[value='{objective}']").count() == 0
        for card_objectives in page.locator("#results .card .objectives").all_inner_texts():
            assert re.search(rf"(^|\s){objective}\.", card_objectives)

        # The gap map of the whole index: a cell opens a search for its objective there.
        page.goto(f"{server.url}/?view=gap&ui=en")
        cell = page.locator("#gap a.cell").first
        cell.wait_for()
        count = int(cell.inner_text().split()[0])  # "3", or "3 / 2 inf." with inferred ones
        objective, country = (
            cell.get_attribute("data-objective"),
            cell.get_attribute("data-country"),
        )
        cell.focus()  # by keyboard
        page.keyboard.press("Enter")
        page.locator("#results .card").first.wait_for()
        # a list of exactly the cell's practices (waited for: the previous cards may still show)
        expect(page.locator("#status")).to_have_text(re.compile(rf"^{count} "))
        expect(page.locator("#results .card")).to_have_count(min(count, 10))
        assert page.locator("#q").input_value() == ""
        assert url_params(page.url)["objective"] == [objective] and url_params(page.url)[
            "country"
        ] == [country]
        assert not errors, errors


def test_page_journey_real_model(real_server: Server):
    run_page_journey(real_server)


def test_browsing_without_a_query(real_server: Server):
    """The page lists every practice on first load; choosing an objective narrows the list
    to exactly the count its option showed."""
    with chromium() as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{real_server.url}/?ui=en")
        page.locator("#results .card").first.wait_for()
        expect(page.locator("#status")).to_contain_text("newest first")
        assert page.locator("#results .card").count() == 5  # the five seeds
        option = page.locator("#objective option[value='10']")
        shown = int(re.search(r"\((\d+)", option.inner_text()).group(1))
        page.select_option("#objective", "10")
        expect(page).to_have_url(re.compile(r"[?&]objective=10(&|$)"))
        expect(page.locator("#status")).to_have_text(re.compile(rf"^{shown} "))
        expect(page.locator("#results .card")).to_have_count(shown)
        assert not errors, errors


def test_inferred_objectives_are_marked_on_the_page(real_server: Server):
    """The seeds' trafficking digest is placed under objective 10 by inference only: its
    card says so in words, the objective list counts it apart, and the gap map marks it."""
    with chromium() as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{real_server.url}/?q=trata+de+personas&objective=10&ui=es")
        page.locator("#results .card").first.wait_for()
        card = page.locator("#results .card[data-doc-id^='002_']")
        mark = card.locator(".objectives li.inferred")
        expect(mark).to_contain_text("10.")
        expect(mark).to_contain_text("inferido")
        assert "confianza" in mark.get_attribute("title")
        # the tagged seed shows objective 10 unmarked
        tagged = page.locator("#results .card[data-doc-id^='000_'] .objectives li", has_text="10.")
        assert "inferred" not in (tagged.get_attribute("class") or "")
        # the objective list counts the inferred placements apart
        page.goto(f"{real_server.url}/?q=trata+de+personas&ui=es")
        page.locator("#results .card").first.wait_for()
        assert re.search(r"\(\d+, \d+ inferidos\)", page.locator("#objective option[value='10']").inner_text())
        page.goto(f"{real_server.url}/?view=gap&ui=en")
        page.locator("#gap a.cell").first.wait_for()
        marked = page.locator("#gap a.cell[data-inferred][data-objective='10']")
        assert marked.count() >= 1
        assert "by inference" in marked.first.get_attribute("aria-label")
        expect(marked.first.locator("small.inf")).to_contain_text("inf.")
        assert not errors, errors
