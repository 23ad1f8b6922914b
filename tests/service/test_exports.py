"""CSV exports (issue 8): they parse with the csv module and carry what the JSON carries."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.service.conftest import SEED_DOC, Server


def read_csv(r: httpx.Response) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment;")
    assert ".csv" in r.headers["content-disposition"]
    # UTF-8 with a byte-order mark, so spreadsheets show accents right.
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))


def test_search_csv_holds_every_result_with_the_json_ids(api: httpx.Client):
    params = {"q": "trata de personas", "k": 2}
    js = api.get("/search", params=params).json()
    r = api.get("/search", params={**params, "format": "csv"})
    rows = read_csv(r)
    # every practice of the match set, not the page: k does not apply
    assert sum(row["relevant"] == "yes" for row in rows) == js["matched_documents"] > 2
    assert int(r.headers["x-matched-documents"]) == js["matched_documents"]
    assert [row["doc_id"] for row in rows[:2]] == [h["doc_id"] for h in js["hits"]]
    for row, hit in zip(rows, js["hits"], strict=False):
        assert row["title"] == hit["title"]
        assert float(row["score"]) == round(hit["score"], 4)
        assert row["countries"].split("; ") == hit["countries"] or not hit["countries"]
        # every objective of the hit, those only inference gives marked with their confidence
        inferred = {o["number"]: o for o in hit["inferred"]}
        cells = row["objectives"].split("; ") if row["objectives"] else []
        assert [int(c.split()[0]) for c in cells] == hit["objectives"]
        for c in cells:
            o = inferred.get(int(c.split()[0]))
            assert c == (f"{o['number']} ({o['source']} {o['confidence']:.2f})" if o else c.split()[0])
        assert len(row["objective_labels"].split("; ")) == len(cells)
        assert row["passage_id"] == hit["passages"][0]["passage_id"]
        assert row["passage_text"] == hit["passages"][0]["text"]
        assert set(row["sections"].split("; ")) == {p["section_kind"] for p in hit["passages"]}
    # the link opens the practice on the page
    link = urlparse(rows[0]["link"])
    assert parse_qs(link.query)["id"] == [rows[0]["doc_id"]] and parse_qs(link.query)["view"] == ["doc"]
    assert api.get(f"{link.path}?{link.query}").status_code == 200


def test_search_csv_in_spanish_reads_in_a_spanish_spreadsheet(api: httpx.Client):
    r = api.get("/search", params={"q": "trata de personas", "country": "PE", "format": "csv", "ui": "es"})
    text = r.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("posición;doc_id;título;enlace")  # ; for Spanish Excel
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows and all("Perú" in row["nombres_de_países"].split("; ") for row in rows)
    assert any("Combatir la trata" in row["etiquetas_de_objetivos"] or "trata" in row["etiquetas_de_objetivos"].lower()
               for row in rows)
    assert {row["pertinente"] for row in rows} <= {"sí", "no"}
    comma = api.get("/search", params={"q": "trata de personas", "format": "csv", "ui": "es", "sep": "comma"})
    assert comma.content.decode("utf-8-sig").splitlines()[0].startswith("posición,doc_id,")


@pytest.mark.slow
def test_a_query_with_nothing_relevant_exports_the_nearest_marked(real_server: Server):
    """The real model's calibrated floor: nonsense matches nothing (the fake encoder's
    hashed words would match by chance)."""
    with real_server.client() as c:
        assert c.get("/search", params={"q": "xyzzy qwertyuiop"}).json()["matched_documents"] == 0
        rows = read_csv(c.get("/search", params={"q": "xyzzy qwertyuiop", "format": "csv"}))
    assert 0 < len(rows) <= 10 and {row["relevant"] for row in rows} == {"no"}


def test_browse_csv_lists_every_filtered_practice(api: httpx.Client):
    js = api.get("/search", params={"objective": 10}).json()
    rows = read_csv(api.get("/search", params={"objective": 10, "format": "csv"}))
    assert len(rows) == js["matched_documents"] and rows[0]["doc_id"] == js["hits"][0]["doc_id"]


def test_export_pages_through_the_core_and_stops_at_the_cap(fake_index: Path):
    from fastapi.testclient import TestClient

    from practice_search.config import Settings
    from service.main import create_app
    from tests.fakes import FakeEncoder

    def export(**settings) -> list[dict[str, str]]:
        app = create_app(fake_index, embedder=FakeEncoder(), settings=Settings(**settings))
        with TestClient(app, base_url="http://127.0.0.1") as c:
            return read_csv(c.get("/search", params={"q": "migrants", "format": "csv"}))

    whole = export()
    assert len(export(max_k=2)) == len(whole) > 2  # pages of 2, the same rows in the same order
    assert [r["doc_id"] for r in export(max_k=2)] == [r["doc_id"] for r in whole]
    assert [r["doc_id"] for r in export(max_export_rows=2)] == [r["doc_id"] for r in whole[:2]]


def test_search_csv_keeps_filters_and_post_works(api: httpx.Client):
    rows = read_csv(api.get("/search", params={"q": "migrants", "country": "PE", "format": "csv"}))
    assert rows and all("PE" in r["countries"].split("; ") for r in rows)
    posted = read_csv(
        api.post("/search", json={"q": "migrants", "country": ["PE"], "format": "csv"})
    )
    assert [r["doc_id"] for r in posted] == [r["doc_id"] for r in rows]


def test_search_csv_of_an_error_is_still_a_json_error(api: httpx.Client):
    r = api.get("/search", params={"q": "migrants", "objective": 99, "format": "csv"})
    assert r.status_code == 422 and r.json()["detail"]["param"] == "objective"


def test_gapmap_csv_matches_the_json(api: httpx.Client):
    js = api.get("/gapmap").json()
    rows = read_csv(api.get("/gapmap", params={"format": "csv"}))
    assert [int(r["objective"]) for r in rows] == list(range(1, 24))
    names = {c: f"{js['column_labels'][c]['en']} ({c})" for c in js["columns"]}
    for row, jrow in zip(rows, js["rows"], strict=True):
        for c in js["columns"]:
            assert int(row[names[c]]) == jrow["counts"][c]
            assert int(row[f"{names[c]} (inferred)"]) == jrow["inferred_counts"].get(c, 0) <= jrow["counts"][c]
        assert int(row["documents"]) == jrow["documents"]
        assert int(row["documents (inferred)"]) == jrow["inferred_documents"]
    assert int(rows[5]["Peru (PE)"]) >= 1 and SEED_DOC  # objective 6 x Peru is not empty on the seeds


def test_gapmap_csv_in_spanish(api: httpx.Client):
    text = api.get("/gapmap", params={"format": "csv", "ui": "es"}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert "Perú (PE)" in rows[0] and "Perú (PE) (inferido)" in rows[0] and "documentos" in rows[0]
    assert rows[9]["etiqueta_del_objetivo"].lower().startswith(("combatir", "trata", "prevenir"))
    regions = api.get("/gapmap", params={"format": "csv", "ui": "es", "by_region": True}).content.decode("utf-8-sig")
    assert "América Latina y el Caribe" in regions.splitlines()[0]
