"""Retrieval metrics: ranking metrics by name through ranx, evidence hits and filter checks.

Rankings are turned into ranx runs with scores that encode the rank (first = highest), so
ranx orders documents exactly as the search returned them (no tie-breaking surprises),
and a document returned twice counts once, at its first (best) rank.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

#: Evidence strings and passages are compared after this folding.
_WS = re.compile(r"\s+")


def fold_text(text: str) -> str:
    """Lower-case with runs of white space folded to one space (evidence matching)."""
    return _WS.sub(" ", text).strip().casefold()


def ranking_to_run(ranked_ids: Sequence[str]) -> dict[str, float]:
    """A ranx run row {doc_id: score} from ids best first; repeats keep their first rank."""
    ids = list(dict.fromkeys(ranked_ids))
    n = len(ids)
    return {doc_id: float(n - i) for i, doc_id in enumerate(ids)}


def rank_metrics(
    qrels: Mapping[str, Mapping[str, int]],
    rankings: Mapping[str, Sequence[str]],
    metrics: Sequence[str],
) -> dict[str, float]:
    """Mean ranx metrics (e.g. "ndcg@10", "mrr@10", "recall@10") over the queries of
    `qrels`. A query with no ranking counts as retrieving nothing (scores 0)."""
    from ranx import Qrels, Run, evaluate

    judged = {q: {d: int(g) for d, g in rel.items() if int(g) > 0} for q, rel in qrels.items()}
    judged = {q: rel for q, rel in judged.items() if rel}
    if not judged:
        return {m: 0.0 for m in metrics}
    run_dict = {q: ranking_to_run(rankings.get(q, ())) for q in judged}
    if not any(run_dict.values()):  # ranx cannot build a run with no document at all
        return {m: 0.0 for m in metrics}
    scores = evaluate(Qrels(judged), Run(run_dict), list(metrics), make_comparable=True)
    if len(metrics) == 1:
        scores = {metrics[0]: scores}
    return {m: float(scores[m]) for m in metrics}


def evidence_rank(
    passages: Iterable[tuple[str, str]],
    relevant: Iterable[str],
    evidence: str,
) -> int | None:
    """1-based rank of the first (doc_id, text) passage that belongs to a relevant
    document and contains `evidence` (case-insensitive, white space folded); None if none."""
    needle = fold_text(evidence)
    if not needle:
        return None
    rel = set(relevant)
    for rank, (doc_id, text) in enumerate(passages, start=1):
        if doc_id in rel and needle in fold_text(text):
            return rank
    return None


def filter_counts(
    returned: Sequence[str], must_include: Iterable[str], must_exclude: Iterable[str]
) -> tuple[list[str], list[str]]:
    """(violations, misses): `must_exclude` ids present in `returned`, and `must_include`
    ids absent from it. `returned` is the top k the search gave."""
    got = set(returned)
    violations = [d for d in dict.fromkeys(must_exclude) if d in got]
    misses = [d for d in dict.fromkeys(must_include) if d not in got]
    return violations, misses


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (linear interpolation), 0.0 for no values."""
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else 0.0
