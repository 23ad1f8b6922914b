"""Run a query set against search systems and score them.

A system is a `SearchIndex` (the same facade the service uses) with a ranking mode.
Per query and system the runner makes:

- one grouped search (`group=True`, k documents ranked by their best passage): the
  document-level metrics (nDCG, MRR, recall via ranx), the filter checks and the latency
  (query vectors are embedded beforehand, see `warm_query_embeddings`, so latency is the
  search itself for every system; the model's time per query is reported apart);
- for queries with an `evidence` string, one passage-level search (`group=False`, the
  top max(evidence_ks) passages): evidence@k is the share of those queries whose top k
  passages hold a passage of a relevant document containing the string. Ranking passages
  on their own (not a document's best few) keeps the measure independent of how many
  passages each document shows, and the substring test keeps it independent of where
  the corpus was cut.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eval.metrics import evidence_rank, filter_counts, percentile, rank_metrics
from eval.query_sets import Query

DEFAULT_SYSTEMS: tuple[str, ...] = ("bm25", "dense", "hybrid")
DEFAULT_EVIDENCE_KS: tuple[int, ...] = (1, 5)


@dataclass(frozen=True)
class System:
    """A named way to search: an opened SearchIndex and one of its modes."""

    name: str
    index: Any  # indexer.search.SearchIndex
    mode: str


@dataclass
class QueryOutcome:
    """What one system returned for one query."""

    query: Query
    ranking: list[str]  # document ids, best first (top k)
    latency_ms: float
    evidence_rank: int | None = None
    violations: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


def build_filters(query: Query):
    """The query's `filters` through `indexer.filters.parse_filters` (None when empty).
    An unknown filter name or a bad value is a ValueError naming the query."""
    from indexer.filters import parse_filters

    if not query.filters:
        return None
    accepted = set(inspect.signature(parse_filters).parameters)
    unknown = sorted(set(query.filters) - accepted)
    if unknown:
        raise ValueError(
            f"query {query.id!r}: unknown filter(s) {', '.join(unknown)}; the search accepts {', '.join(sorted(accepted))}"
        )
    try:
        return parse_filters(**dict(query.filters))
    except ValueError as exc:
        raise ValueError(f"query {query.id!r}: bad filter: {exc}") from None


def run_system(
    system: System,
    queries: Sequence[Query],
    *,
    k: int = 10,
    evidence_ks: Sequence[int] = DEFAULT_EVIDENCE_KS,
) -> list[QueryOutcome]:
    """Search every query with one system; keep what scoring needs."""
    filters = {q.id: build_filters(q) for q in queries}
    ev_depth = max(evidence_ks) if evidence_ks else 0
    out: list[QueryOutcome] = []
    for q in queries:
        t0 = time.perf_counter()
        resp = system.index.search(q.text, filters[q.id], mode=system.mode, k=k, group=True)
        latency = (time.perf_counter() - t0) * 1000.0
        ranking = [h.doc_id for h in resp.hits]
        outcome = QueryOutcome(query=q, ranking=ranking, latency_ms=latency)
        if q.evidence and q.relevant and ev_depth:
            presp = system.index.search(q.text, filters[q.id], mode=system.mode, k=ev_depth, group=False)
            outcome.evidence_rank = evidence_rank(
                ((p.doc_id, p.text) for p in presp.passages), q.relevant, q.evidence
            )
        outcome.violations, outcome.misses = filter_counts(ranking[:k], q.must_include, q.must_exclude)
        out.append(outcome)
    return out


def doc_metric_names(k: int, extra: Sequence[str] = ()) -> list[str]:
    """The document-level ranx metric names reported for cut-off k."""
    return list(dict.fromkeys([f"ndcg@{k}", f"mrr@{k}", f"recall@{k}", *extra]))


def score_outcomes(
    outcomes: Sequence[QueryOutcome],
    *,
    k: int = 10,
    evidence_ks: Sequence[int] = DEFAULT_EVIDENCE_KS,
    extra_metrics: Sequence[str] = (),
    by_lang: bool = True,
) -> dict[str, Any]:
    """Aggregate one system's outcomes into the REPORT.json shape of EVAL_FORMAT.md."""
    names = doc_metric_names(k, extra_metrics)

    def block(subset: Sequence[QueryOutcome]) -> dict[str, Any]:
        qrels = {o.query.id: dict(o.query.relevant) for o in subset if o.query.judged}
        runs = {o.query.id: o.ranking for o in subset}
        res: dict[str, Any] = {"n_queries": len(subset), "n_judged": len(qrels)}
        res.update(rank_metrics(qrels, runs, names))
        with_ev = [o for o in subset if o.query.evidence and o.query.relevant]
        res["n_evidence"] = len(with_ev)
        for e in evidence_ks:
            hits = sum(1 for o in with_ev if o.evidence_rank is not None and o.evidence_rank <= e)
            res[f"evidence@{e}"] = hits / len(with_ev) if with_ev else 0.0
        return res

    report = block(outcomes)
    report["filter_violations"] = sum(len(o.violations) for o in outcomes)
    report["filter_misses"] = sum(len(o.misses) for o in outcomes)
    report["n_filter_checked"] = sum(1 for o in outcomes if o.query.must_include or o.query.must_exclude)
    lat = [o.latency_ms for o in outcomes]
    report["latency_ms_p50"] = round(percentile(lat, 50), 2)
    report["latency_ms_p95"] = round(percentile(lat, 95), 2)
    if by_lang:
        langs = sorted({o.query.lang or "und" for o in outcomes})
        report["by_lang"] = {
            lg: block([o for o in outcomes if (o.query.lang or "und") == lg]) for lg in langs
        }
    return report


def per_query(outcomes: Sequence[QueryOutcome]) -> list[dict[str, Any]]:
    """One line per query for diagnosis: where the first relevant document and the first
    evidence passage ranked, and the filter problems."""
    rows = []
    for o in outcomes:
        rel = set(o.query.relevant)
        first = next((i for i, d in enumerate(o.ranking, start=1) if d in rel), None)
        row: dict[str, Any] = {"id": o.query.id, "lang": o.query.lang, "first_relevant_rank": first}
        if o.query.evidence:
            row["evidence_rank"] = o.evidence_rank
        if o.violations:
            row["violations"] = o.violations
        if o.misses:
            row["misses"] = o.misses
        row["top"] = o.ranking[:3]
        rows.append(row)
    return rows


def warm_query_embeddings(systems: Sequence[System], queries: Sequence[Query]) -> list[float]:
    """Embed each query once, one at a time, through the embedder of every index that a
    dense or hybrid system searches; return the per-query times (ms) of the first.

    The embedder keeps recent query vectors in memory, so afterwards every system's
    latency is measured alike (search without model inference) instead of the first
    system paying for the model; the model's own cost is reported on its own."""
    times: list[float] = []
    seen: set[int] = set()
    for s in systems:
        if s.mode == "bm25" or id(s.index) in seen:
            continue
        seen.add(id(s.index))
        embedder = s.index.embedder
        for q in queries:
            t0 = time.perf_counter()
            embedder.embed_queries([q.text.strip()])
            if len(seen) == 1:
                times.append((time.perf_counter() - t0) * 1000.0)
    return times


def evaluate_systems(
    systems: Sequence[System],
    queries: Sequence[Query],
    *,
    k: int = 10,
    evidence_ks: Sequence[int] = DEFAULT_EVIDENCE_KS,
    details: bool = True,
) -> dict[str, Any]:
    """Run and score each system on the query set: {"k", "n_queries", "systems": {...}}."""
    if not queries:
        raise ValueError("the query set is empty")
    if not systems:
        raise ValueError("no systems to evaluate; give --systems, e.g. bm25,dense,hybrid")
    names = [s.name for s in systems]
    if len(set(names)) != len(names):
        raise ValueError(f"system names repeat: {', '.join(names)}")
    report: dict[str, Any] = {"k": k, "n_queries": len(queries), "systems": {}}
    embed_ms = warm_query_embeddings(systems, queries)
    if embed_ms:
        report["query_embed_ms_p50"] = round(percentile(embed_ms, 50), 2)
        report["query_embed_ms_p95"] = round(percentile(embed_ms, 95), 2)
    for s in systems:
        outcomes = run_system(s, queries, k=k, evidence_ks=evidence_ks)
        r = score_outcomes(outcomes, k=k, evidence_ks=evidence_ks)
        if details:
            r["per_query"] = per_query(outcomes)
        report["systems"][s.name] = r
    return report


def check_targets(values: Mapping[str, float | int], targets: Mapping[str, tuple[str, float]]) -> list[dict[str, Any]]:
    """Compare named values to (op, bound) targets: [{"name", "value", "target", "ok"}]."""
    out = []
    for name, (op, bound) in targets.items():
        v = values.get(name)
        ok = v is not None and (v >= bound if op == ">=" else v <= bound if op == "<=" else v == bound)
        out.append({"name": name, "value": v, "target": f"{op} {bound}", "ok": bool(ok)})
    return out
