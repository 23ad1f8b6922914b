"""/gapmap (issue 8): document counts per GCM objective x country."""

from __future__ import annotations

import httpx

from tests.service.conftest import SEED_DOC, check_error

SEED_CELLS = [(6, "PE"), (10, "PE"), (15, "PE"), (6, "EC"), (10, "EC"), (15, "EC")]


def test_gapmap_shape_all_objectives_and_country_labels(api: httpx.Client):
    r = api.get("/gapmap")
    assert r.status_code == 200, r.text
    gm = r.json()
    assert [row["objective"] for row in gm["rows"]] == list(range(1, 24))
    assert len(gm["matrix"]) == 23 and all(len(m) == len(gm["columns"]) for m in gm["matrix"])
    assert {"PE", "EC"} <= set(gm["columns"])
    assert gm["column_labels"]["PE"] == {"en": "Peru", "es": "Perú"}
    assert gm["rows"][9]["label"] and gm["rows"][9]["label_es"]
    assert gm["objective_sources"] == ["explicit", "mentioned", "inferred"] and gm["by_region"] is False
    assert gm["matched_documents"] == 5
    for row, counts in zip(gm["rows"], gm["matrix"], strict=True):
        assert [row["counts"][c] for c in gm["columns"]] == counts


def test_gapmap_puts_the_seed_document_in_its_cells(api: httpx.Client):
    gm = api.get("/gapmap").json()
    doc = api.get(f"/practices/{SEED_DOC}").json()
    for objective, country in SEED_CELLS:
        row = gm["rows"][objective - 1]
        assert row["counts"][country] >= 1, (objective, country)
        assert SEED_DOC in row["doc_ids"][country], (objective, country)
        # The cell's link is the filtered search: the document is found there.
        found = api.get(
            "/search",
            params={"q": doc["title"], "country": country, "objective": objective, "k": 10},
        ).json()
        assert SEED_DOC in [h["doc_id"] for h in found["hits"]], (objective, country)


def test_gapmap_follows_query_and_filters(api: httpx.Client):
    full = api.get("/gapmap").json()
    peru = api.get("/gapmap", params={"country": "PE"}).json()
    assert peru["filters"]["country"] == ["PE"]
    assert 0 < peru["matched_documents"] <= full["matched_documents"]
    for row in peru["rows"]:
        assert row["counts"].get("PE", 0) == row["documents"]
    queried = api.get("/gapmap", params={"q": "trafficking"}).json()
    assert queried["query"] == "trafficking"
    assert queried["matched_documents"] <= full["matched_documents"]


def test_gapmap_by_region_and_sources(api: httpx.Client):
    reg = api.get("/gapmap", params={"by_region": "true"}).json()
    assert reg["by_region"] is True
    assert any("Latin America" in c for c in reg["columns"])
    inferred = api.get(
        "/gapmap", params=[("objective_sources", "explicit"), ("objective_sources", "inferred")]
    ).json()
    assert inferred["objective_sources"] == ["explicit", "inferred"]


def test_gapmap_errors(api: httpx.Client):
    check_error(
        api.get("/gapmap", params={"objective_sources": "rumour"}), 422, "objective_sources"
    )
    check_error(api.get("/gapmap", params={"country": "Narnia"}), 422, "country")
    check_error(api.get("/gapmap", params={"by_region": "maybe"}), 422, "by_region")
    check_error(api.get("/gapmap", params={"format": "pdf"}), 422, "format")
