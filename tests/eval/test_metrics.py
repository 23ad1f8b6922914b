"""Document-level metrics through ranx, checked against values computed by hand."""

from __future__ import annotations

import math

import pytest

from eval.metrics import fold_text, percentile, rank_metrics, ranking_to_run

M = ["ndcg@10", "mrr@10", "recall@10", "recall@1"]


def test_relevant_at_ranks_1_and_3():
    got = rank_metrics({"q": {"a": 1, "c": 1}}, {"q": ["a", "b", "c", "d"]}, M)
    ideal = 1 + 1 / math.log2(3)
    assert got["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / ideal)
    assert got["mrr@10"] == pytest.approx(1.0)
    assert got["recall@10"] == pytest.approx(1.0)
    assert got["recall@1"] == pytest.approx(0.5)


def test_nothing_relevant_retrieved_scores_zero_not_one():
    # Haystack reported recall 1.0 for such a query (issue 7867)
    got = rank_metrics({"q": {"a": 1}}, {"q": ["x", "y", "z"]}, M)
    assert got == {m: 0.0 for m in M}


def test_empty_ranking_scores_zero():
    got = rank_metrics({"q": {"a": 1}, "r": {"b": 1}}, {"q": [], "r": ["b"]}, M)
    assert got["recall@10"] == pytest.approx(0.5)
    assert got["mrr@10"] == pytest.approx(0.5)
    assert rank_metrics({"q": {"a": 1}}, {}, M) == {m: 0.0 for m in M}


def test_duplicates_do_not_inflate_recall():
    # Haystack issue 9332: a relevant document returned twice counted twice
    got = rank_metrics({"q": {"a": 1, "b": 1}}, {"q": ["a", "a", "a", "x"]}, M)
    assert got["recall@10"] == pytest.approx(0.5)
    assert got["ndcg@10"] == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_ranking_to_run_keeps_first_rank_and_order():
    run = ranking_to_run(["b", "a", "b", "c"])
    assert list(run) == ["b", "a", "c"]
    assert run["b"] > run["a"] > run["c"]


def test_mean_over_queries_and_mrr_of_second_rank():
    qrels = {"q1": {"a": 1}, "q2": {"z": 1}}
    got = rank_metrics(qrels, {"q1": ["x", "a"], "q2": ["z"]}, ["mrr@10", "ndcg@10"])
    assert got["mrr@10"] == pytest.approx((0.5 + 1.0) / 2)
    assert got["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1.0) / 2)


def test_relevant_beyond_cutoff_is_not_counted():
    ranking = [f"x{i}" for i in range(10)] + ["a"]
    got = rank_metrics({"q": {"a": 1}}, {"q": ranking}, M)
    assert got == {m: 0.0 for m in M}


def test_unjudged_queries_are_left_out_and_inputs_untouched():
    qrels = {"q": {"a": 1}, "u": {}}
    runs = {"q": ["a"], "u": ["a"]}
    got = rank_metrics(qrels, runs, ["recall@10"])
    assert got["recall@10"] == pytest.approx(1.0)
    assert qrels == {"q": {"a": 1}, "u": {}} and runs == {"q": ["a"], "u": ["a"]}


def test_fold_text_and_percentile():
    assert fold_text("  Child\n\tTRAFFICKING  in Perú ") == "child trafficking in perú"
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([], 95) == 0.0
