"""Every endpoint and every user error, over real HTTP against a real server
(seeds index, fake encoder)."""

from __future__ import annotations

import httpx
import pytest

from tests.service.conftest import SEED_DOC, check_error


@pytest.fixture(params=["flat", "milvus"])
def api(request) -> httpx.Client:
    """Every API test runs against a server on FAISS flat and one on Milvus."""
    server = request.getfixturevalue("fake_server" if request.param == "flat" else "milvus_fake_server")
    with server.client() as c:
        yield c

# ---- search ----------------------------------------------------------------------------


def test_search_get_groups_results_with_highlights_counts_filters_and_timing(api: httpx.Client):
    r = api.get("/search", params={"q": "trafficking in persons", "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["query"] == "trafficking in persons"
    assert body["mode"] == "hybrid" and body["k"] == 3 and body["offset"] == 0
    assert 1 <= len(body["hits"]) <= 3
    assert body["matched_documents"] >= len(body["hits"])
    assert body["matched_passages"] >= body["matched_documents"]
    assert body["timing_ms"]["request"] > 0
    ranks = [h["rank"] for h in body["hits"]]
    assert ranks == sorted(ranks)
    hit = body["hits"][0]
    assert {
        "doc_id",
        "title",
        "score",
        "countries",
        "objectives",
        "languages",
        "years",
        "passages",
    } <= hit.keys()
    assert hit["passages"] and all(p["doc_id"] == hit["doc_id"] for p in hit["passages"])
    assert any("<mark>" in p["highlighted"] for h in body["hits"] for p in h["passages"])


def test_search_filters_as_understood_country_by_name(api: httpx.Client):
    r = api.get("/search", params={"q": "migrants", "country": "Perú"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["filters"]["country"] == ["PE"]
    assert body["filters"]["country_name"] == ["Peru"]
    assert body["hits"] and all("PE" in h["countries"] for h in body["hits"])


def test_search_repeated_country_and_objective(api: httpx.Client):
    r = api.get(
        "/search",
        params=[
            ("q", "migrants"),
            ("country", "PE"),
            ("country", "EC"),
            ("objective", "6"),
            ("objective", "10"),
        ],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["filters"]["country"] == ["PE", "EC"]
    assert body["filters"]["objective"] == [6, 10]
    for h in body["hits"]:
        assert {"PE", "EC"} & set(h["countries"])
        assert {6, 10} & set(h["objectives"])


def test_search_post_body_equals_get(api: httpx.Client):
    params = {"q": "trafficking", "country": ["PE"], "k": 5, "mode": "bm25"}
    got = api.get("/search", params=params).json()
    posted = api.post("/search", json=params)
    assert posted.status_code == 200, posted.text
    assert [h["doc_id"] for h in posted.json()["hits"]] == [h["doc_id"] for h in got["hits"]]
    assert posted.json()["mode"] == "bm25"


def test_search_section_filter_keeps_only_that_section(api: httpx.Client):
    facets = api.get("/facets", params={"q": "migrants"}).json()
    section = next(
        s for s in ("lessons", "recommendations", "results", "summary") if facets["sections"].get(s)
    )
    body = api.get("/search", params={"q": "migrants", "section": section}).json()
    assert body["filters"]["section"] == [section]
    assert body["hits"]
    assert all(p["section_kind"] == section for h in body["hits"] for p in h["passages"])


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_search_modes(api: httpx.Client, mode: str):
    r = api.get("/search", params={"q": "trata de personas", "mode": mode})
    assert r.status_code == 200, r.text
    assert r.json()["mode"] == mode


def test_search_paging_offset(api: httpx.Client):
    first = api.get("/search", params={"q": "migrants", "k": 2}).json()
    second = api.get("/search", params={"q": "migrants", "k": 2, "offset": 2}).json()
    ids1 = [h["doc_id"] for h in first["hits"]]
    ids2 = [h["doc_id"] for h in second["hits"]]
    assert ids2 and not set(ids1) & set(ids2)


def test_highlight_is_escaped_with_mark_only(api: httpx.Client):
    body = api.get("/search", params={"q": "migrants", "k": 5}).json()
    import re

    for h in body["hits"]:
        for p in h["passages"]:
            tags = set(re.findall(r"</?([a-zA-Z]+)", p["highlighted"]))
            assert tags <= {"mark"}, tags


# ---- user errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "param", "hint"),
    [
        ({"q": "migrants", "sort": "title"}, "sort", "leave q out"),
        ({"sort": "newest"}, "sort", "published"),
        ({"q": "x" * 1001}, "q", "1000"),
        ({"q": "migrants", "k": 0}, "k", "1 to"),
        ({"q": "migrants", "k": 101}, "k", "100"),
        ({"q": "migrants", "k": "ten"}, "k", "integer"),
        ({"q": "migrants", "offset": -1}, "offset", "0"),
        ({"q": "migrants", "country": "Atlantis"}, "country", "ISO"),
        ({"q": "migrants", "objective": 24}, "objective", "1 to 23"),
        ({"q": "migrants", "objective": 0}, "objective", "1 to 23"),
        ({"q": "migrants", "objective": "seven"}, "objective", "integer"),
        ({"q": "migrants", "mode": "semantic"}, "mode", "bm25"),
        ({"q": "migrants", "section": "conclusions"}, "section", "lessons"),
        ({"q": "migrants", "lang": "spanish"}, "lang", "es"),
        ({"q": "migrants", "year_from": 2024, "year_to": 2020}, "year_from", "swap"),
        ({"q": "migrants", "objective_sources": "guessed"}, "objective_sources", "explicit"),
        ({"q": "migrants", "country_sources": "annex"}, "country_sources", "primary"),
        ({"q": "migrants", "format": "xlsx"}, "format", "csv"),
    ],
)
def test_search_errors_say_which_parameter_and_what_to_do(api: httpx.Client, params, param, hint):
    msg = check_error(api.get("/search", params=params), 422, param)
    assert hint.lower() in msg.lower()


def test_country_sources_widen_the_country_filter(api: httpx.Client):
    base = {"q": "migrants", "country": "CO", "k": 50}
    narrow = api.get("/search", params=base).json()
    wide = api.get("/search", params={**base, "country_sources": ["explicit", "primary", "mentioned"]}).json()
    assert narrow["filters"]["country_sources"] == ["explicit", "primary"]
    assert wide["filters"]["country_sources"] == ["explicit", "primary", "mentioned"]
    assert {h["doc_id"] for h in narrow["hits"]} <= {h["doc_id"] for h in wide["hits"]}
    assert wide["matched_documents"] > narrow["matched_documents"]
    r = api.post("/search", json={**base, "country_sources": "mentioned"})  # one value, not a list
    assert r.status_code == 200, r.text
    post = r.json()
    assert post["filters"]["country_sources"] == ["mentioned"]


def test_search_without_a_query_browses_the_filtered_practices(api: httpx.Client):
    """No q (or a blank one): every practice passing the filters, newest first, with the
    same totals on every page as the facets give; sort=title lists A to Z."""
    everything = api.get("/facets").json()["matched_documents"]
    pages, seen = [], []
    for offset in range(0, everything, 7):
        r = api.get("/search", params={"k": 7, "offset": offset})
        assert r.status_code == 200, r.text
        pages.append(r.json())
        seen += [h["doc_id"] for h in r.json()["hits"]]
    assert {p["mode"] for p in pages} == {"browse"}
    assert {p["matched_documents"] for p in pages} == {everything}  # totals never change while paging
    assert len(seen) == len(set(seen)) == everything
    dates = [h["published"] or str(max(h["years"], default="")) for p in pages for h in p["hits"]]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True) and dates[: len(dated)] == dated  # undated last
    assert api.get("/search", params={"q": "   ", "k": 3}).json()["mode"] == "browse"
    titles = [h["title"].casefold() for h in api.get("/search", params={"sort": "title", "k": 50}).json()["hits"]]
    assert titles == sorted(titles)
    # a filter narrows the list to exactly what the facets count for it
    facets = api.get("/facets").json()
    objective, count = next(iter(facets["objectives"].items()))
    narrowed = api.get("/search", params={"objective": objective, "k": 100}).json()
    assert narrowed["matched_documents"] == len(narrowed["hits"]) == count
    assert all(int(objective) in h["objectives"] for h in narrowed["hits"])
    posted = api.post("/search", json={"country": "PE", "k": 100})
    assert posted.status_code == 200 and all("PE" in h["countries"] for h in posted.json()["hits"])


def test_post_errors(api: httpx.Client):
    check_error(api.post("/search", json={"q": "migrants", "objective": [99]}), 422, "objective")
    check_error(api.post("/search", json={"q": "migrants", "sort": "title"}), 422, "sort")
    check_error(
        api.post("/search", content=b"{not json", headers={"content-type": "application/json"}),
        422,
        "body",
    )


# ---- practices -------------------------------------------------------------------------


def test_practice_document_with_metadata_and_passages(api: httpx.Client):
    r = api.get(f"/practices/{SEED_DOC}")
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["id"] == SEED_DOC
    assert {"PE", "EC"} <= set(d["countries"]["primary"])
    assert "published" in d and "primary" in d["countries"]
    assert d["country_names"]["PE"] == {"en": "Peru", "es": "Perú"}
    assert {6, 10, 15} <= set(d["objectives"]["explicit"] + d["objectives"]["mentioned"])
    assert len(d["passages"]) > 3
    assert all({"id", "section", "section_kind", "lang", "text"} <= p.keys() for p in d["passages"])


def test_practice_unknown_is_404(api: httpx.Client):
    msg = check_error(api.get("/practices/no_such_practice"), 404, "doc_id")
    assert "no_such_practice" in msg
    check_error(api.get("/practices/some/nested/id"), 404, "doc_id")
    check_error(api.get("/practices/no_such_practice/similar"), 404, "doc_id")


@pytest.mark.parametrize(
    "raw_path",
    [
        "/practices/a/%2E%2E/b",
        "/practices/%2E%2E/etc/passwd",
        "/practices/a/./b",
        "/practices/a//b",
        "/practices/a%5Cb",
    ],
)
def test_practice_path_traversal_is_rejected(fake_server, raw_path: str):
    # Sent as written (no client-side dot-segment removal).
    with httpx.Client(base_url=fake_server.url) as c:
        r = c.send(c.build_request("GET", httpx.URL(fake_server.url, raw_path=raw_path.encode())))
    check_error(r, (400, 404), "doc_id")


def test_similar_practices(api: httpx.Client):
    r = api.get(f"/practices/{SEED_DOC}/similar", params={"k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    ids = [h["doc_id"] for h in body["hits"]]
    assert 1 <= len(ids) <= 3 and SEED_DOC not in ids
    filtered = api.get(f"/practices/{SEED_DOC}/similar", params={"country": "PE"}).json()
    assert all("PE" in h["countries"] for h in filtered["hits"])
    check_error(api.get(f"/practices/{SEED_DOC}/similar", params={"k": 0}), 422, "k")
    check_error(
        api.get(f"/practices/{SEED_DOC}/similar", params={"objective": 30}), 422, "objective"
    )


# ---- facets, objectives, health --------------------------------------------------------


def test_facets_count_the_whole_match_set(api: httpx.Client):
    r = api.get("/facets")
    assert r.status_code == 200, r.text
    all_docs = r.json()
    health = api.get("/health").json()
    assert all_docs["matched_documents"] == health["documents"] == 5
    assert all_docs["countries"]["PE"] >= 2
    assert set(all_docs["languages"]) >= {"en", "es"}
    assert all_docs["country_names"]["PE"] == {"en": "Peru", "es": "Perú"}
    assert all(1 <= int(o) <= 23 for o in all_docs["objectives"])
    peru = api.get("/facets", params={"q": "migrants", "country": "PE"}).json()
    assert peru["filters"]["country"] == ["PE"]
    assert peru["countries"]["PE"] == peru["matched_documents"] > 0
    check_error(api.get("/facets", params={"objective": 42}), 422, "objective")
    check_error(api.get("/facets", params={"q": "x" * 2000}), 422, "q")


def test_objectives_in_english_and_spanish(api: httpx.Client):
    r = api.get("/objectives")
    assert r.status_code == 200
    objs = r.json()
    assert [o["number"] for o in objs] == list(range(1, 24))
    assert all(o["short_en"] and o["short_es"] and o["title_en"] and o["title_es"] for o in objs)
    assert objs[9]["short_es"] != objs[9]["short_en"]


def test_health(api: httpx.Client, fake_server):
    h = api.get("/health").json()
    assert h["status"] == "ok" and h["index_loaded"] is True
    assert h["documents"] == 5 and h["passages"] > 5
    assert h["model"] == "fake-hashed-bow"
    assert h["backend"] and h["built_at"]
    assert h["index_dir"] == fake_server.index_dir.name  # no filesystem path
    assert str(fake_server.index_dir.parent) not in str(h)


def test_openapi_documents_the_endpoints(api: httpx.Client):
    spec = api.get("/openapi.json").json()
    paths = spec["paths"]
    for p in (
        "/search",
        "/practices/{doc_id}",
        "/practices/{doc_id}/similar",
        "/facets",
        "/objectives",
        "/health",
        "/gapmap",
    ):
        assert p in paths, sorted(paths)
    assert "post" in paths["/search"] and "get" in paths["/search"]
    assert {"SearchRequest", "SearchResponse", "PracticePublic"} <= spec["components"][
        "schemas"
    ].keys()


def test_unknown_route_is_404_json(api: httpx.Client):
    r = api.get("/nothing-here")
    assert r.status_code == 404
    assert r.json()["detail"] == {
        "param": None,
        "message": "nothing at /nothing-here: the endpoints are listed at /docs",
    }
    assert api.delete("/search").status_code == 405


def test_page_and_static_assets(api: httpx.Client):
    page = api.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/static/app.js" in page.text and "aria-live" in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        r = api.get(asset)
        assert r.status_code == 200 and len(r.content) > 500
    # Light for poor connections: no external fonts, scripts or stylesheets.
    for text in (page.text, api.get("/static/style.css").text):
        assert "http://" not in text and "https://" not in text
