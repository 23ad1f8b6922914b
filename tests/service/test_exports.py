"""CSV exports (issue 8): they parse with the csv module and carry what the JSON carries."""

from __future__ import annotations

import csv
import io

import httpx

from tests.service.conftest import SEED_DOC


def read_csv(r: httpx.Response) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment;")
    assert ".csv" in r.headers["content-disposition"]
    # UTF-8 with a byte-order mark, so spreadsheets show accents right.
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))


def test_search_csv_has_one_row_per_result_with_the_json_ids(api: httpx.Client):
    params = {"q": "trata de personas", "k": 5}
    js = api.get("/search", params=params).json()
    rows = read_csv(api.get("/search", params={**params, "format": "csv"}))
    assert [r["doc_id"] for r in rows] == [h["doc_id"] for h in js["hits"]]
    assert len(rows) >= 2
    for row, hit in zip(rows, js["hits"], strict=True):
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
        assert row["passage_id"] == hit["passages"][0]["passage_id"]
        assert row["passage_text"] == hit["passages"][0]["text"]
        assert set(row["sections"].split("; ")) == {p["section_kind"] for p in hit["passages"]}


def test_search_csv_keeps_filters_and_post_works(api: httpx.Client):
    rows = read_csv(api.get("/search", params={"q": "migrants", "country": "PE", "format": "csv"}))
    assert rows and all("PE" in r["countries"].split("; ") for r in rows)
    posted = read_csv(
        api.post("/search", json={"q": "migrants", "country": ["PE"], "format": "csv"})
    )
    assert [r["doc_id"] for r in posted] == [r["doc_id"] for r in rows]


def test_search_csv_of_an_error_is_still_a_json_error(api: httpx.Client):
    r = api.get("/search", params={"q": "migrants", "k": 0, "format": "csv"})
    assert r.status_code == 422 and r.json()["detail"]["param"] == "k"


def test_gapmap_csv_matches_the_json(api: httpx.Client):
    js = api.get("/gapmap").json()
    rows = read_csv(api.get("/gapmap", params={"format": "csv"}))
    assert [int(r["objective"]) for r in rows] == list(range(1, 24))
    for row, jrow in zip(rows, js["rows"], strict=True):
        for c in js["columns"]:
            assert int(row[c]) == jrow["counts"][c]
            assert int(row[f"{c} (inferred)"]) == jrow["inferred_counts"].get(c, 0) <= jrow["counts"][c]
        assert int(row["documents"]) == jrow["documents"]
        assert int(row["documents (inferred)"]) == jrow["inferred_documents"]
    assert int(rows[5]["PE"]) >= 1 and SEED_DOC  # objective 6 x Peru is not empty on the seeds
