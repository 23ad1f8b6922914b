"""Reports: REPORT.json as written, a Markdown page of tables, a PNG chart (matplotlib, Agg)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def write_json(report: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return "" if v is None else str(v)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return lines


def _checks_md(checks: Sequence[dict[str, Any]]) -> list[str]:
    if not checks:
        return []
    rows = [(c["name"], c["value"], c["target"], "yes" if c["ok"] else "**no**") for c in checks]
    return ["", "Targets:", "", *_table(("check", "value", "target", "met"), rows)]


def queryset_markdown(report: dict[str, Any], title: str) -> list[str]:
    """Systems x metrics for a query-set report (the `--index/--queries` shape)."""
    k = report.get("k", 10)
    systems = report["systems"]
    first = next(iter(systems.values()))
    ev = sorted((m for m in first if m.startswith("evidence@")), key=lambda m: int(m.split("@")[1]))
    cols = [f"ndcg@{k}", f"mrr@{k}", f"recall@{k}", *ev, "filter_violations", "filter_misses", "latency_ms_p50", "latency_ms_p95"]
    lines = [f"## {title}", ""]
    if report.get("source"):
        lines += [f"Queries: `{report['source']}`; index: {report.get('index_info', '')}", ""]
    lines.append(
        f"{report['n_queries']} queries; document-level metrics at k={k} (documents ranked by their best passage); "
        "evidence@k over the top k passages (passage-level search) of the queries with an evidence string."
    )
    if "query_embed_ms_p50" in report:
        lines.append(
            f"Latency is the search call with the query vector already computed (every system alike); "
            f"embedding one query took {report['query_embed_ms_p50']:.1f} ms at the median "
            f"({report['query_embed_ms_p95']:.1f} ms p95)."
        )
    lines.append("")
    lines += _table(("system", *cols), [(name, *(r.get(c) for c in cols)) for name, r in systems.items()])
    langs = sorted({lg for r in systems.values() for lg in r.get("by_lang", {})})
    if langs:
        lines += ["", "By query language:", ""]
        sub = [f"ndcg@{k}", f"recall@{k}", *ev]
        rows = [
            (name, lg, r["by_lang"][lg]["n_queries"], *(r["by_lang"][lg].get(c) for c in sub))
            for name, r in systems.items()
            for lg in langs
            if lg in r.get("by_lang", {})
        ]
        lines += _table(("system", "lang", "n", *sub), rows)
    lines += match_set_markdown(report.get("match_set"), report.get("noise_on_sample"))
    lines += _checks_md(report.get("checks", ()))
    return lines


def match_set_markdown(ms: dict[str, Any] | None, noise: dict[str, Any] | None = None) -> list[str]:
    """The match set (what counts, facets and the gap map use): relevant documents inside,
    the others outside; queries with no answer and what they still match."""
    if not ms:
        return []
    lines = ["", "Match set (the documents counted, faceted and mapped for a query; hybrid rule):", ""]
    if ms.get("relevant_total"):
        lines.append(f"- relevant documents inside: {ms['relevant_inside']}/{ms['relevant_total']} "
                     f"({ms['share_relevant_inside']:.1%}); other documents passing the filters left outside: "
                     f"{ms['irrelevant_outside']}/{ms['irrelevant_total']} ({ms['share_irrelevant_outside']:.1%})")
    for src, label in ((ms, "this set"), (noise or {}, "the sample corpus (eval/queries/noise.jsonl)")):
        if src.get("unjudged"):
            lines.append(f"- queries with no answer, on {label}: {src['unjudged_matching_nothing']} of "
                         f"{len(src['unjudged'])} match nothing; "
                         + ", ".join(f"\"{u['query']}\" {u['matched_documents']}" for u in src["unjudged"]))
    return lines


def xquad_markdown(report: dict[str, Any]) -> list[str]:
    """For each metric, a table of systems x language pairs."""
    pairs = report["pairs"]
    n_par = report["n_paragraphs"]
    n_q = report["n_questions"]
    titles = {"xquad": "XQuAD (cross-lingual retrieval)",
              "squad-es-en": "SQuAD en + SQuAD-es (cross-lingual retrieval, ten times XQuAD's size)"}
    lines = [
        f"## {titles.get(report.get('benchmark', 'xquad'), report.get('benchmark'))}",
        "",
        f"Paragraphs indexed per language: {', '.join(f'{k} {v}' for k, v in n_par.items())}; "
        f"questions per language: {', '.join(f'{k} {v}' for k, v in n_q.items())}. "
        "A pair `q->p` asks questions in language q over the paragraphs in language p; "
        "the relevant document is the question's own paragraph.",
    ]
    models = report.get("models", {})
    if models:
        lines += ["", "Models: " + "; ".join(f"{k}: `{v['id']}` (dim {v['dim']})" for k, v in models.items()) + "."]
    for metric in ("ndcg@10", "recall@1", "recall@10", "mrr@10"):
        lines += ["", f"**{metric}**", ""]
        rows = [(name, *(r[p][metric] for p in pairs)) for name, r in report["systems"].items()]
        lines += _table(("system", *pairs), rows)
    lines += _checks_md(report.get("checks", ()))
    return lines


def mixed_markdown(report: dict[str, Any]) -> list[str]:
    """One mixed-language collection (eval.mixed): systems x question languages, with the
    ranking metrics and the language-bias figures."""
    k = report.get("k", 10)
    n_par = report["n_paragraphs"]
    lines = [
        "## MLQA en + es (one mixed-language collection)",
        "",
        f"Paragraphs indexed together: {', '.join(f'{lg} {v}' for lg, v in n_par.items())}; "
        f"{report['n_questions']} questions, each asked in every language, each answered by one paragraph "
        f"per language (both relevant)" + (f"; first {report['limit']} questions only" if report.get("limit") else "") + ".",
        "both_in_top10: share of questions with both answering paragraphs in the top 10; own_lang_first: share "
        "whose best-ranked answering paragraph is in the question's language, of those with one in the top 10; "
        "other_lang_in_top10: share with the other-language paragraph in the top 10. "
        "Latency is the search with the query vector already computed.",
    ]
    models = report.get("models", {})
    if models:
        lines += ["", "Models: " + "; ".join(f"{key}: `{v['id']}` (dim {v['dim']})" for key, v in models.items()) + "."]
    cols = [f"ndcg@{k}", f"recall@{k}", f"mrr@{k}", "both_in_top10", "own_lang_first", "other_lang_in_top10",
            "latency_ms_p50", "latency_ms_p95"]
    rows = [(name, lg, r[lg]["n_queries"], *(r[lg][c] for c in cols)) for name, r in report["systems"].items() for lg in r]
    lines += ["", *_table(("system", "question lang", "n", *cols), rows)]
    lines += _checks_md(report.get("checks", ()))
    return lines


def write_markdown(sections: Sequence[list[str]], path: str | Path, title: str = "Retrieval evaluation") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = [f"# {title}", ""]
    for s in sections:
        body += [*s, ""]
    path.write_text("\n".join(body), encoding="utf-8")
    return path


def write_chart(
    xquad: dict[str, Any] | None,
    path: str | Path,
    queryset: dict[str, Any] | None = None,
    metric: str = "ndcg@10",
    extra: tuple[dict[str, Any], ...] = (),
) -> Path:
    """Grouped bars: XQuAD systems x language pairs (nDCG@10); with a query-set report,
    a panel of its systems (nDCG@10 and evidence@5); `extra`: panels for squad-es-en
    (as XQuAD's) and mlqa-es-en (nDCG@10 and both-in-top-10 per question language)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    extra = tuple(e for e in extra if e)
    panels = [p for p in (xquad, queryset, *extra) if p]
    if not panels:
        raise ValueError("nothing to chart: no XQuAD or query-set report")
    cols = min(len(panels), 2)
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 4.5 * rows), squeeze=False)
    ax_list = [a for row in axes for a in row]
    for a in ax_list[len(panels):]:
        a.set_visible(False)

    def bars(ax, groups, series, value, title, xlabel=None):
        width = 0.8 / max(len(series), 1)
        x = np.arange(len(groups))
        for i, name in enumerate(series):
            b = ax.bar(x + (i - (len(series) - 1) / 2) * width, [value(name, g) for g in groups], width, label=name)
            ax.bar_label(b, fmt="%.2f", fontsize=7, padding=1)
        ax.set_xticks(x, groups)
        ax.set_ylim(0, 1.08)
        ax.set_title(title)
        if xlabel:
            ax.set_xlabel(xlabel)
        ax.legend(loc="lower left", fontsize=8)

    for rep in (xquad, *(e for e in extra if "pairs" in e)):
        if rep:
            name = {"xquad": "XQuAD"}.get(rep.get("benchmark", "xquad"), rep.get("benchmark"))
            cut = f" (first {rep['limit']} paragraphs)" if rep.get("limit") else ""
            bars(ax_list.pop(0), rep["pairs"], list(rep["systems"]), lambda s, p, r=rep: r["systems"][s][p][metric],
                 f"{name}{cut} {metric} by system and language pair", "query language -> passage language")
    for rep in (e for e in extra if e.get("benchmark") == "mlqa-es-en"):
        groups = [f"{s} {lg}" for s in rep["systems"] for lg in rep["systems"][s]]
        cut = f", first {rep['limit']} questions" if rep.get("limit") else ""
        bars(ax_list.pop(0), groups, ["ndcg@10", "both_in_top10"],
             lambda m, g, r=rep: r["systems"][g.split()[0]][g.split()[1]][m],
             f"MLQA en+es, one collection{cut}", "system, question language")
    if queryset:
        ax = ax_list.pop(0)
        systems = list(queryset["systems"])
        k = queryset.get("k", 10)
        metrics = [f"ndcg@{k}", "evidence@1", "evidence@5"]
        metrics = [m for m in metrics if m in next(iter(queryset["systems"].values()))]
        width = 0.8 / max(len(metrics), 1)
        x = np.arange(len(systems))
        for i, m in enumerate(metrics):
            vals = [queryset["systems"][s][m] for s in systems]
            bars = ax.bar(x + (i - (len(metrics) - 1) / 2) * width, vals, width, label=m)
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
        ax.set_xticks(x, systems)
        ax.set_ylim(0, 1.08)
        ax.set_title(queryset.get("title", "query set"))
        ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
