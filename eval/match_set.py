"""How well the match set means "relevant" (the documents counted, faceted and mapped for a
query): on a judged query set, the share of relevant documents inside it and of the other
documents (passing the query's filters) outside it; on queries with no relevant document
(noise, off-topic), how many documents they still match. Part of every `eval --queries`
report ("match_set"), and of `make eval` for the seeds dev set and the noise queries on the
sample corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval.query_sets import Query
from eval.runner import build_filters


def match_set_quality(index: Any, queries: list[Query]) -> dict[str, Any]:
    rel_in = rel_total = irr_out = irr_total = 0
    unjudged: list[dict[str, Any]] = []
    for q in queries:
        filters = build_filters(q)
        matched = set(index.matched_document_ids(q.text, filters))
        passing = set(index.matched_document_ids(None, filters))
        if not q.judged:
            unjudged.append({"id": q.id, "query": q.text, "matched_documents": len(matched), "of": len(passing)})
            continue
        relevant = set(q.relevant) & passing
        rel_total += len(relevant)
        rel_in += len(relevant & matched)
        others = passing - set(q.relevant)
        irr_total += len(others)
        irr_out += len(others - matched)
    out: dict[str, Any] = {
        "relevant_inside": rel_in, "relevant_total": rel_total,
        "share_relevant_inside": round(rel_in / rel_total, 4) if rel_total else None,
        "irrelevant_outside": irr_out, "irrelevant_total": irr_total,
        "share_irrelevant_outside": round(irr_out / irr_total, 4) if irr_total else None,
    }
    if unjudged:
        out["unjudged"] = unjudged
        out["unjudged_matching_nothing"] = sum(u["matched_documents"] == 0 for u in unjudged)
    return out


def xquad_check(xquad_dir: Path, per_pair: int = 200, rules: dict[str, dict] | None = None, log=print) -> dict:
    """The held-out check of the rule: on XQuAD (one index per paragraph language, the real
    model), `per_pair` questions per pair (a fixed sample), the share of relevant paragraphs
    inside the match set and of the others outside, for each rule (HybridParams fields)."""
    import random
    import tempfile

    from eval.xquad import load_xquad, pair_name, xquad_documents, xquad_queries
    from indexer.build import build_index_from_documents, get_embedder
    from indexer.precision import default_for
    from indexer.search import HybridParams, SearchIndex

    rules = rules or {"before (any query word)": {"lexical_coverage": None}, "adopted": {}}
    emb = get_embedder(None)
    data = {lg: load_xquad(xquad_dir, lg) for lg in ("en", "es")}
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="ps-matchset-") as tmp:
        for plang in data:
            build_index_from_documents(xquad_documents(data[plang]), Path(tmp) / plang, embedder=emb,
                                       precision=default_for(emb))
        for name, fields in rules.items():
            out[name] = {}
            for plang in data:
                index = SearchIndex.open(Path(tmp) / plang, embedder=emb, hybrid=HybridParams(**fields))
                for qlang in data:
                    qs = random.Random(1).sample(xquad_queries(data[qlang], data[plang]), per_pair)
                    out[name][pair_name(qlang, plang)] = match_set_quality(index, qs)
            log(f"{name}: " + " | ".join(f"{p} inside {m['share_relevant_inside']:.3f} outside "
                                         f"{m['share_irrelevant_outside']:.3f}" for p, m in out[name].items()))
    return out


if __name__ == "__main__":  # python -m eval.match_set [XQUAD_DIR] [PER_PAIR]
    import sys

    xquad_check(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/benchmarks/xquad"),
                int(sys.argv[2]) if len(sys.argv) > 2 else 200)
