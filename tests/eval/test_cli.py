"""`practice-search eval` end to end on a tiny index with the fake encoder."""

from __future__ import annotations

import json

import pytest

from practice_search.cli import main
from tests.eval.test_query_sets import make_beir

KEYS = {"n_queries", "ndcg@10", "mrr@10", "recall@10", "evidence@1", "evidence@5",
        "filter_violations", "filter_misses", "by_lang", "latency_ms_p50", "latency_ms_p95"}


@pytest.fixture(autouse=True)
def fake_model(monkeypatch):
    monkeypatch.setenv("PRACTICE_SEARCH_TEST_ENCODER", "tests.fakes:FakeEncoder")


def test_eval_command_on_tiny_index(tiny_index, tiny_queries, tmp_path, capsys):
    out, md, png = tmp_path / "r.json", tmp_path / "r.md", tmp_path / "r.png"
    rc = main(["eval", "--index", str(tiny_index), "--queries", str(tiny_queries),
               "--json-out", str(out), "--md-out", str(md), "--png-out", str(png)])
    assert rc == 0
    report = json.loads(out.read_text())
    assert set(report["systems"]) == {"bm25", "dense", "hybrid"}
    assert report["n_queries"] == 4 and report["query_embed_ms_p50"] >= 0.0
    for name, r in report["systems"].items():
        assert KEYS <= set(r), name
        assert r["n_queries"] == 4 and r["n_evidence"] == 2
        assert r["filter_violations"] == 0 and r["filter_misses"] == 0
        assert set(r["by_lang"]) == {"en", "es", "und"}
        assert 0.0 <= r["ndcg@10"] <= 1.0
    # the words of each query are in its document: BM25 finds every one first
    bm25 = report["systems"]["bm25"]
    assert bm25["mrr@10"] == pytest.approx(1.0) and bm25["evidence@1"] == pytest.approx(1.0)
    assert "| hybrid |" in md.read_text() and png.stat().st_size > 1000
    assert "hybrid" in capsys.readouterr().out


def test_eval_command_systems_and_k(tiny_index, tiny_queries, tmp_path):
    out = tmp_path / "r.json"
    assert main(["eval", "--index", str(tiny_index), "--queries", str(tiny_queries), "--systems", "dense",
                 "--k", "2", "--json-out", str(out)]) == 0
    r = json.loads(out.read_text())["systems"]["dense"]
    assert list(json.loads(out.read_text())["systems"]) == ["dense"]
    assert "ndcg@2" in r and "ndcg@10" not in r


def test_eval_command_reports_broken_line(tiny_index, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "query": "x"}\n{"id": "b", "query": \n', encoding="utf-8")
    assert main(["eval", "--index", str(tiny_index), "--queries", str(bad), "--json-out", str(tmp_path / "r.json")]) == 2
    assert f"{bad}:2" in capsys.readouterr().err


def test_eval_command_rejects_unknown_system(tiny_index, tiny_queries, tmp_path, capsys):
    assert main(["eval", "--index", str(tiny_index), "--queries", str(tiny_queries), "--systems", "bm25,magic",
                 "--json-out", str(tmp_path / "r.json")]) == 2
    assert "magic" in capsys.readouterr().err


def test_eval_command_on_beir_directory(tmp_path):
    out = tmp_path / "r.json"
    assert main(["eval", "--beir", str(make_beir(tmp_path / "beir")), "--json-out", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["n_queries"] == 1
    assert r["systems"]["bm25"]["recall@10"] == pytest.approx(1.0)


def test_eval_all_runs_the_four_benchmarks_and_charts_them(tmp_path, monkeypatch, shared_dir):
    """`eval --all` (make eval): seeds dev set, XQuAD, and squad-es-en and mlqa-es-en cut
    to quick sizes, in one report and one chart (sizes cut further here, fake encoder)."""
    from eval import cli as eval_cli
    from eval import xquad

    monkeypatch.setattr(eval_cli, "ALL_LIMITS", {"squad-es-en": 30, "mlqa-es-en": 8})
    monkeypatch.setattr(xquad, "XQUAD_SYSTEMS", {k: v for k, v in xquad.XQUAD_SYSTEMS.items() if k != "dense-use"})
    out = tmp_path / "eval.json"
    rc = main(["eval", "--all", "--limit", "20", "--work-dir", str(tmp_path / "work"), "--json-out", str(out)])
    assert rc == 0
    report = json.loads(out.read_text())
    assert {"seeds_dev", "xquad", "squad_es_en", "mlqa_es_en"} <= set(report)
    assert report["squad_es_en"]["limit"] == 30 and report["squad_es_en"]["benchmark"] == "squad-es-en"
    assert report["mlqa_es_en"]["benchmark"] == "mlqa-es-en"
    assert set(report["mlqa_es_en"]["systems"]["hybrid"]) == {"en", "es"}
    md = out.with_suffix(".md").read_text()
    assert "MLQA" in md and "SQuAD" in md
    assert out.with_suffix(".png").stat().st_size > 10_000
