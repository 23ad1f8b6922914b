"""The query-file loader: EVAL_FORMAT.md's JSON Lines and BEIR's layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.query_sets import load_beir, load_jsonl_queries, load_queries


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


FULL = {
    "id": "q01",
    "query": "¿Qué prácticas combaten la trata de niños en Perú?",
    "lang": "es",
    "relevant": ["003_x"],
    "evidence": "child trafficking",
    "filters": {"country": "PE", "objective": 10},
    "must_include": ["003_x"],
    "must_exclude": ["001_y"],
}


def test_full_line_and_minimal_line(tmp_path):
    f = write_lines(tmp_path / "q.jsonl", [json.dumps(FULL), "", json.dumps({"id": "q02", "query": "remesas"})])
    q1, q2 = load_jsonl_queries(f)
    assert q1.id == "q01" and q1.lang == "es" and dict(q1.relevant) == {"003_x": 1}
    assert q1.evidence == "child trafficking" and dict(q1.filters) == {"country": "PE", "objective": 10}
    assert q1.must_include == ("003_x",) and q1.must_exclude == ("001_y",)
    assert q2.relevant == {} and q2.evidence is None and q2.lang is None and q2.filters == {}
    assert not q2.judged


def test_unknown_fields_are_ignored(tmp_path):
    line = dict(FULL, notes="written by a partner", difficulty=3, tags=["x"])
    (q,) = load_jsonl_queries(write_lines(tmp_path / "q.jsonl", [json.dumps(line)]))
    assert q.id == "q01"


def test_loader_does_not_share_the_callers_filters(tmp_path):
    (q,) = load_jsonl_queries(write_lines(tmp_path / "q.jsonl", [json.dumps(FULL)]))
    assert q.filters is not FULL["filters"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"id": "q2", "query": "x"', "not valid JSON"),
        ('["q2", "x"]', "expected a JSON object"),
        ('{"query": "x"}', "missing `id`"),
        ('{"id": "q2"}', "no `query`"),
        ('{"id": "q2", "query": "x", "relevant": "d1"}', "must be a list"),
        ('{"id": "q2", "query": "x", "filters": "PE"}', "`filters` must be an object"),
        ('{"id": "q01", "query": "x"}', "duplicate query id"),
    ],
)
def test_broken_line_names_file_and_line(tmp_path, bad, message):
    f = write_lines(tmp_path / "q.jsonl", [json.dumps(FULL), "", bad])
    with pytest.raises(ValueError, match=message) as err:
        load_jsonl_queries(f)
    assert f"{f}:3" in str(err.value)


def test_missing_or_empty_query_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_queries(tmp_path / "nope.jsonl")
    with pytest.raises(ValueError, match="no queries"):
        load_jsonl_queries(write_lines(tmp_path / "e.jsonl", [""]))


def make_beir(root: Path) -> Path:
    (root / "qrels").mkdir(parents=True)
    write_lines(
        root / "corpus.jsonl",
        [json.dumps({"_id": "d1", "title": "T1", "text": "remittances to families"}), json.dumps({"_id": "d2", "text": "border children"})],
    )
    write_lines(
        root / "queries.jsonl",
        [json.dumps({"_id": "1", "text": "remittances"}), json.dumps({"_id": "2", "text": "no qrels for me"})],
    )
    write_lines(root / "qrels" / "test.tsv", ["query-id\tcorpus-id\tscore", "1\td1\t2", "1\td2\t0"])
    return root


def test_beir_layout(tmp_path):
    data = load_beir(make_beir(tmp_path / "beir"))
    assert set(data.corpus) == {"d1", "d2"} and data.corpus["d1"]["title"] == "T1"
    (q,) = data.queries  # query 2 has no qrels: left out, as BEIR does
    assert q.id == "1" and q.text == "remittances" and dict(q.relevant) == {"d1": 2}
    assert [x.id for x in load_queries(tmp_path / "beir")] == ["1"]


@pytest.mark.parametrize("missing", ["corpus.jsonl", "queries.jsonl", "qrels/test.tsv"])
def test_beir_missing_file_is_named(tmp_path, missing):
    root = make_beir(tmp_path / "beir")
    (root / missing).unlink()
    with pytest.raises(ValueError, match=missing.replace("/", ".")):
        load_beir(root)
