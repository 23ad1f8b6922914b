"""The precision section's targets and Markdown, from a result shaped as run_precision's."""

from __future__ import annotations

from bench.precision import MAX_LOSS, precision_markdown, precision_targets
from bench.report import check_targets


def _result(bf16_speed: float, worst_int8_query: float) -> dict:
    row = {"passages fp32 / queries fp32": 0.9, "delta": {"passages bf16 / queries fp32": -0.001,
                                                          "passages fp32 / queries int8": worst_int8_query}}
    return {
        "cpu": {"native_bf16": True, "native_int8": True}, "auto": {"passages": "bf16", "queries": "int8"},
        "batch_size": 8, "squad_limit": None, "max_loss": MAX_LOSS,
        "indexing": {
            "fp32 batch 32": {"passages_per_s": 40.0, "all_rounds": [40.0], "speedup_vs_baseline": 1.0},
            "bf16 batch 8": {"passages_per_s": bf16_speed, "all_rounds": [bf16_speed],
                             "speedup_vs_baseline": bf16_speed / 40.0},
        },
        "probe_cosine": {"bf16": {"min": 0.99999, "mean": 0.99999}},
        "sample_queries": {"fp32": {"p50_ms": 7.0, "p95_ms": 8.0}, "int8": {"p50_ms": 4.0, "p95_ms": 5.0}},
        "queries": {"fp32": {"p50_ms": 9.0, "p95_ms": 10.0, "queries": 10},
                    "int8": {"p50_ms": 6.0, "p95_ms": 7.0, "queries": 10, "min_cosine_vs_fp32": 0.998}},
        "quality": {"xquad es->en": row},
        "worst_delta": dict(row["delta"]),
        "passes": {k: v >= -MAX_LOSS for k, v in row["delta"].items()},
    }


def _targets(result: dict) -> dict:
    out: dict = {}
    precision_targets({"precision": result}, lambda name, v, bound, ok: out.__setitem__(name, (v, ok)))
    return out


def test_targets_compare_the_default_precision_with_the_fp32_baseline():
    t = _targets(_result(100.0, -0.002))
    speed = t["indexing_speedup (bf16 batch 8 over fp32 batch 32, sample corpus)"]
    assert speed == (2.5, True)
    assert t["query_embedding_p50_ms (default graph, sample-corpus queries one at a time)"] == (4.0, True)
    assert t["dense_ndcg@10_worst_delta (passages fp32 / queries int8)"] == (-0.002, True)
    slow = _targets(_result(60.0, -0.006))
    assert slow["indexing_speedup (bf16 batch 8 over fp32 batch 32, sample corpus)"][1] is False
    assert slow["dense_ndcg@10_worst_delta (passages fp32 / queries int8)"][1] is False


def test_markdown_names_every_combination_and_flags_a_loss_outside_the_bound():
    md = "\n".join(precision_markdown(_result(100.0, -0.006)))
    assert "| bf16 batch 8 | 100.0 | 2.5 |" in md
    assert "passages fp32 / queries int8 -0.0060 (OUTSIDE the bound)" in md
    assert "passages bf16 / queries fp32 -0.0010 (within the bound)" in md


def test_check_targets_reads_the_layouts_and_the_txtai_ratio():
    lay = {"bytes_per_passage": 580.0, "recall@10": 0.99, "p50_ms": 1.0,
           "filtered_10pct": {"recall@10": 0.94, "p50_ms": 2.0}}
    bench = {"scale": {"1000000": {"layouts": {"hnsw-sq8": lay}}},
             "peer": {"txtai_search": {"p50_ms": 16.0}, "ours_dense_search": {"p50_ms": 4.0},
                      "ours_hybrid_search": {"p50_ms": 9.0}}}
    t = check_targets(bench)
    assert t["layout_1m_bytes_per_passage (hnsw-sq8, in memory)"]["met"] is True
    assert t["layout_1m_recall@10 (hnsw-sq8, worst of unfiltered and 10%)"] == {"value": 0.94, "target": 0.95, "met": False}
    assert t["search_p50_over_txtai (dense, in process, same run)"]["met"] is True
    assert t["search_p50_over_txtai (hybrid, in process, same run)"]["value"] == 0.562
