"""SQuAD en + SQuAD-es as a cross-lingual retrieval benchmark at ten times XQuAD's size
(read from ../shared/benchmarks/squad-es-en).

`paragraphs.jsonl` holds English SQuAD v1.1 dev paragraphs with their Spanish translation
(`text_en`, `text_es`); `questions.jsonl` the aligned English and Spanish questions with the
paragraph each was asked about. Each language is its own collection, as XQuAD's are, so the
benchmark runs through `eval.xquad.run_xquad` with the same systems and pairs. Paragraphs
without a translation are left out on both sides, with their questions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.xquad import METRICS_K, XQuadLanguage

NAME = "squad-es-en"
#: The issue's targets (hybrid nDCG@10) and the largest cross-lingual gap to the
#: monolingual pair over the same collection.
TARGETS = {"es->en": 0.85, "en->es": 0.85, "en->en": 0.93}
MAX_GAP = 0.05


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise ValueError(f"{path} not found; pass --squad-dir pointing at ../shared/benchmarks/squad-es-en")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_squad_es_en(squad_dir: str | Path, limit: int | None = None) -> dict[str, XQuadLanguage]:
    """Both languages as parallel collections (same positions); `limit` keeps the first
    paragraphs (and their questions) only."""
    if limit is not None and limit < 1:
        raise ValueError("the paragraph limit must be at least 1")
    d = Path(squad_dir)
    paras = [p for p in _jsonl(d / "paragraphs.jsonl") if (p.get("text_es") or "").strip() and (p.get("text_en") or "").strip()]
    if limit is not None:
        paras = paras[:limit]
    pos = {p["id"]: i for i, p in enumerate(paras)}
    questions = [
        q for q in _jsonl(d / "questions.jsonl")
        if q.get("paragraph_id") in pos and (q.get("question_en") or "").strip() and (q.get("question_es") or "").strip()
    ]
    out = {}
    for lang in ("en", "es"):
        texts = tuple(p[f"text_{lang}"] for p in paras)
        first: dict[str, int] = {}
        canonical = tuple(first.setdefault(t, i) for i, t in enumerate(texts))
        qs = tuple((str(q["id"]), q[f"question_{lang}"].strip(), pos[q["paragraph_id"]]) for q in questions)
        out[lang] = XQuadLanguage(lang, texts, canonical, qs, name=NAME)
    return out


def squad_checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Hybrid nDCG@10 against the targets, and each cross-lingual pair within MAX_GAP of
    the monolingual pair over the same collection (es->en vs en->en, en->es vs es->es)."""
    key = f"ndcg@{METRICS_K}"
    hyb = report["systems"].get("hybrid")
    if not hyb or report.get("limit") is not None:
        return []
    checks = []
    for pair, bound in TARGETS.items():
        if pair in hyb:
            v = hyb[pair][key]
            checks.append({"name": f"hybrid {pair} {key}", "value": round(v, 4), "target": f">= {bound}", "ok": v >= bound})
    for cross, mono in (("es->en", "en->en"), ("en->es", "es->es")):
        if cross in hyb and mono in hyb:
            gap = hyb[mono][key] - hyb[cross][key]
            checks.append({"name": f"hybrid {mono} - {cross} {key}", "value": round(gap, 4),
                           "target": f"<= {MAX_GAP}", "ok": gap <= MAX_GAP})
    return checks
