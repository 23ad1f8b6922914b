"""bench.twins: the bundled pairs load, and the overlap and language shares are what the
searches give (fake encoder, the eval tests' tiny bilingual corpus)."""

from __future__ import annotations

import json

import pytest

from bench.twins import load_pairs, measure
from indexer.build import build_index_from_documents
from indexer.search import SearchIndex
from tests.eval.conftest import tiny_documents
from tests.fakes import FakeEncoder


def test_bundled_pairs_are_spanish_questions_with_english_twins():
    from indexer.ranking import detect_query_lang

    pairs = load_pairs()
    assert len(pairs) >= 20 and len({p["id"] for p in pairs}) == len(pairs)
    assert sum(detect_query_lang(p["query"]) == "es" for p in pairs) >= 0.9 * len(pairs)


def test_a_pair_without_a_twin_is_refused(tmp_path):
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"id": "x", "query": "trata"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'x' needs both"):
        load_pairs(f)


def test_measure_counts_overlap_and_languages(tmp_path):
    index_dir = tmp_path / "index"
    enc = FakeEncoder()
    build_index_from_documents(tiny_documents(), index_dir, embedder=enc)
    ix = SearchIndex.open(index_dir, enc)
    same = [{"id": "a", "query": "remittance mobile wallet", "twin": "remittance mobile wallet"}]
    r = measure(ix, same, modes=("hybrid",), k=4, k_docs=2)["hybrid"]
    assert r["passage_overlap@4"] == 1.0 and r["document_overlap@2"] == 1.0
    assert r["question_langs"] == r["twin_langs"]
    assert abs(sum(r["question_langs"].values()) - 1.0) < 1e-6
    shown = ix.search("remittance mobile wallet", k=4, group=False, mode="hybrid").passages
    assert r["question_langs"].get("es", 0.0) == round(sum(p.lang == "es" for p in shown) / len(shown), 3)
    apart = [{"id": "b", "query": "inundaciones vivienda", "twin": "remittance mobile wallet"}]
    r2 = measure(ix, apart, modes=("bm25",), k=1, k_docs=1)["bm25"]
    assert r2["passage_overlap@1"] == 0.0 and r2["document_overlap@1"] == 0.0

