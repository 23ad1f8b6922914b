"""Evidence hits, filter checks and report aggregation on constructed search results."""

from __future__ import annotations

import pytest

from eval.metrics import evidence_rank, filter_counts
from eval.query_sets import Query
from eval.runner import QueryOutcome, System, build_filters, run_system, score_outcomes
from indexer.types import DocumentHit, PassageHit, SearchResponse


def test_evidence_case_and_white_space_folded():
    passages = [("d2", "nothing here"), ("d1", "The Child\n   TRAFFICKING cases rose")]
    assert evidence_rank(passages, ["d1"], "child trafficking") == 2
    assert evidence_rank(passages, ["d1"], "  Child  Trafficking ") == 2


def test_evidence_only_counts_in_relevant_documents():
    passages = [("d9", "child trafficking in a document nobody asked for"), ("d1", "unrelated text")]
    assert evidence_rank(passages, ["d1"], "child trafficking") is None
    assert evidence_rank(passages, ["d9", "d1"], "child trafficking") == 1


def test_filter_counts():
    violations, misses = filter_counts(["a", "b", "c"], must_include=["a", "z"], must_exclude=["c", "y", "c"])
    assert violations == ["c"] and misses == ["z"]
    assert filter_counts([], (), ()) == ([], [])


def _phit(doc_id: str, text: str, rank: int) -> PassageHit:
    return PassageHit(f"{doc_id}#{rank}", doc_id, text, text, "", "other", "en", 1.0 / rank, rank)


class StubIndex:
    """Answers every query with the same canned ranking (grouped or passage-level)."""

    def __init__(self, docs: list[str], passages: list[tuple[str, str]]):
        self.docs = docs
        self.passages = passages
        self.calls: list[dict] = []

    def search(self, query, filters=None, *, mode="hybrid", k=10, offset=0, group=True, passages_per_doc=3):
        self.calls.append({"mode": mode, "k": k, "group": group, "filters": filters})
        hits = [DocumentHit(d, d, 1.0 / (i + 1), [], [], [], [], None, [], i + 1) for i, d in enumerate(self.docs[:k])]
        ph = [_phit(d, t, i + 1) for i, (d, t) in enumerate(self.passages[:k])]
        return SearchResponse(query, mode, k, offset, {}, 0, 0, hits=hits if group else [], passages=[] if group else ph)


def test_run_system_evidence_filters_and_counts():
    index = StubIndex(
        ["a", "b", "c"],
        [("b", "Child trafficking"), ("a", "x"), ("a", "y"), ("a", "z"), ("a", "child   trafficking here")],
    )
    queries = [
        Query("q1", "text", {"a": 1}, evidence="Child Trafficking", lang="en", filters={"country": "PE"},
              must_include=("a", "d"), must_exclude=("c",)),
        Query("q2", "texto", {"b": 1}, evidence="child trafficking", lang="es"),
        Query("q3", "texto", {"z": 1}, lang="es"),
    ]
    outcomes = run_system(System("hybrid", index, "hybrid"), queries, k=10)
    assert [o.evidence_rank for o in outcomes] == [5, 1, None]
    assert outcomes[0].violations == ["c"] and outcomes[0].misses == ["d"]
    grouped = [c for c in index.calls if c["group"]]
    assert {c["mode"] for c in index.calls} == {"hybrid"} and len(grouped) == 3
    assert grouped[0]["filters"].countries == ("PE",) and grouped[1]["filters"] is None
    assert [c["k"] for c in index.calls if not c["group"]] == [5, 5]  # evidence: top 5 passages

    r = score_outcomes(outcomes, k=10)
    assert r["n_queries"] == 3 and r["n_evidence"] == 2
    assert r["evidence@1"] == pytest.approx(0.5) and r["evidence@5"] == pytest.approx(1.0)
    assert r["filter_violations"] == 1 and r["filter_misses"] == 1
    assert r["recall@10"] == pytest.approx(2 / 3)
    assert r["mrr@10"] == pytest.approx((1 + 1 / 2 + 0) / 3)
    assert r["by_lang"]["en"]["n_queries"] == 1 and r["by_lang"]["en"]["mrr@10"] == pytest.approx(1.0)
    assert r["by_lang"]["es"]["recall@10"] == pytest.approx(0.5)
    assert r["latency_ms_p50"] >= 0.0


def test_score_outcomes_with_no_evidence_queries():
    q = Query("q", "t", {"a": 1})
    r = score_outcomes([QueryOutcome(q, ["a"], 1.0)], k=10)
    assert r["n_evidence"] == 0 and r["evidence@5"] == 0.0 and r["ndcg@10"] == pytest.approx(1.0)


def test_build_filters_names_query_on_bad_input():
    assert build_filters(Query("q", "t")) is None
    assert build_filters(Query("q", "t", filters={"country": "Perú", "objective": 10})).countries == ("PE",)
    with pytest.raises(ValueError, match="query 'q'.*unknown filter.*colour"):
        build_filters(Query("q", "t", filters={"colour": "red"}))
    with pytest.raises(ValueError, match="query 'q'.*objective"):
        build_filters(Query("q", "t", filters={"objective": 99}))
