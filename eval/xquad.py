"""XQuAD as a cross-lingual retrieval benchmark (read from ../shared/benchmarks/xquad).

Each language file holds the same 240 paragraphs and 1,190 questions in the same order.
A paragraph is one document with one passage (ids `xquad-<lang>-<position>`); a
question's relevant document is the paragraph it was asked about, at the same position
in either language. Identical contexts within a language are indexed once (the first
position stands for all). One index per passage language; every query/passage language
pair is run for every system.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.types import Document, Passage
from eval.query_sets import Query
from eval.runner import System, run_system, score_outcomes

LANGS: tuple[str, ...] = ("en", "es")
PAIRS: tuple[tuple[str, str], ...] = (("en", "en"), ("es", "es"), ("es", "en"), ("en", "es"))
METRICS_K = 10
EXTRA_METRICS: tuple[str, ...] = ("recall@1",)
#: system name -> (encoder key, search mode)
XQUAD_SYSTEMS: dict[str, tuple[str, str]] = {
    "bm25": ("default", "bm25"),
    "dense": ("default", "dense"),
    "hybrid": ("default", "hybrid"),
    "dense-use": ("use", "dense"),
}


@dataclass(frozen=True)
class XQuadLanguage:
    """One language of XQuAD: paragraph texts by position, the canonical position of each
    (first position with the same text), and questions (id, text, paragraph position)."""

    lang: str
    paragraphs: tuple[str, ...]
    canonical: tuple[int, ...]
    questions: tuple[tuple[str, str, int], ...]
    #: the benchmark's name: document ids, index folders and the report say it
    name: str = "xquad"

    def doc_id(self, position: int) -> str:
        return f"{self.name}-{self.lang}-{self.canonical[position]:03d}"


def pair_name(query_lang: str, passage_lang: str) -> str:
    return f"{query_lang}->{passage_lang}"


def load_xquad(xquad_dir: str | Path, lang: str, limit: int | None = None) -> XQuadLanguage:
    """Read xquad.<lang>.json (SQuAD format); `limit` keeps the first paragraphs only."""
    path = Path(xquad_dir) / f"xquad.{lang}.json"
    if not path.is_file():
        raise ValueError(f"XQuAD file {path} not found; pass --xquad-dir pointing at ../shared/benchmarks/xquad")
    if limit is not None and limit < 1:
        raise ValueError("the paragraph limit must be at least 1")
    data = json.loads(path.read_text(encoding="utf-8"))
    paragraphs: list[str] = []
    questions: list[tuple[str, str, int]] = []
    try:
        for article in data["data"]:
            for para in article["paragraphs"]:
                pos = len(paragraphs)
                paragraphs.append(para["context"])
                for qa in para["qas"]:
                    questions.append((str(qa["id"]), qa["question"].strip(), pos))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not in SQuAD format (data -> paragraphs -> context, qas): missing {exc}") from None
    if limit is not None:
        paragraphs = paragraphs[:limit]
        questions = [q for q in questions if q[2] < limit]
    first: dict[str, int] = {}
    canonical = tuple(first.setdefault(text, i) for i, text in enumerate(paragraphs))
    return XQuadLanguage(lang, tuple(paragraphs), canonical, tuple(questions))


def xquad_documents(data: XQuadLanguage) -> list[Document]:
    """One Document with one Passage per distinct paragraph."""
    docs = []
    for pos, text in enumerate(data.paragraphs):
        if data.canonical[pos] != pos:
            continue
        doc_id = data.doc_id(pos)
        passage = Passage(id=f"{doc_id}#0", doc_id=doc_id, ordinal=0, text=text, lang=data.lang)
        docs.append(
            Document(
                id=doc_id, title="", source=f"{data.name}.{data.lang}", format="jsonl",
                passages=(passage,), languages=(data.lang,),
            )
        )
    return docs


def xquad_queries(query_data: XQuadLanguage, passage_data: XQuadLanguage) -> list[Query]:
    """Questions of one language judged against the other language's paragraphs."""
    if len(query_data.paragraphs) != len(passage_data.paragraphs):
        raise ValueError("the XQuAD language files do not hold the same number of paragraphs")
    return [
        Query(id=qid, text=text, relevant={passage_data.doc_id(pos): 1}, lang=query_data.lang)
        for qid, text, pos in query_data.questions
    ]


def run_xquad(
    xquad_dir: str | Path,
    work_dir: str | Path,
    encoders: dict[str, Any],
    *,
    systems: Sequence[str] = tuple(XQUAD_SYSTEMS),
    pairs: Sequence[tuple[str, str]] = PAIRS,
    limit: int | None = None,
    hybrid=None,
    log=print,
    data: dict[str, XQuadLanguage] | None = None,
) -> dict[str, Any]:
    """Build one index per (encoder, passage language) under `work_dir` and score every
    system on every pair. `encoders` maps "default" / "use" to embedder objects (only the
    ones the systems need); `data`: parallel collections already loaded (another benchmark
    of the same shape, e.g. `eval.parallel.load_squad_es_en`), else XQuAD from `xquad_dir`.
    Returns {"benchmark": name, "systems": {name: {pair: metrics}}}."""
    from eval.encoders import QueryMemo
    from indexer.build import build_index_from_documents
    from indexer.precision import default_for
    from indexer.search import SearchIndex

    unknown = [s for s in systems if s not in XQUAD_SYSTEMS]
    if unknown:
        raise ValueError(f"unknown XQuAD system(s) {', '.join(unknown)}; choose from {', '.join(XQUAD_SYSTEMS)}")
    langs = sorted({lg for p in pairs for lg in p})
    bad = [lg for lg in langs if lg not in LANGS]
    if bad:
        raise ValueError(f"XQuAD languages here are {', '.join(LANGS)}, not {', '.join(bad)}")
    if data is None:
        data = {lg: load_xquad(xquad_dir, lg, limit) for lg in langs}
    bench = next(iter(data.values())).name
    n_q = {lg: len(d.questions) for lg, d in data.items()}
    if len(set(n_q.values())) > 1:
        raise ValueError(f"the {bench} languages hold different numbers of questions: {n_q}")

    work_dir = Path(work_dir)
    report: dict[str, Any] = {
        "benchmark": bench,
        "k": METRICS_K,
        "n_paragraphs": {lg: len(set(d.canonical)) for lg, d in data.items()},
        "n_questions": {lg: len(d.questions) for lg, d in data.items()},
        "limit": limit,
        "pairs": [pair_name(*p) for p in pairs],
        "systems": {},
        "build_seconds": {},
        "models": {},
    }
    needed = sorted({XQUAD_SYSTEMS[s][0] for s in systems})
    for key in needed:
        if key not in encoders:
            raise ValueError(f"no encoder given for {key!r} (needed by the XQuAD systems)")
        enc = QueryMemo(encoders[key])
        report["models"][key] = {"id": enc.model_id, "checksum": enc.checksum, "dim": enc.dim}
        t0 = time.perf_counter()
        memo_file = work_dir / f"{bench}-queries-{key}.npz"
        cached = enc.load(memo_file)
        enc.prime([t for d in data.values() for _, t, _ in d.questions])
        enc.save(memo_file)
        log(
            f"{bench}: {sum(n_q.values())} questions embedded with {key} in {time.perf_counter() - t0:.1f} s "
            f"({cached} cached from an earlier run)"
        )
        indexes = {}
        for lg in sorted({p[1] for p in pairs}):
            tag = "limit" + str(limit) if limit else "full"
            index_dir = work_dir / f"{bench}-{lg}-{key}-{tag}"
            b = build_index_from_documents(
                xquad_documents(data[lg]), index_dir, embedder=enc, backend="flat", precision=default_for(enc)
            )
            report["build_seconds"][f"{key}/{lg}"] = b.seconds
            log(f"{bench}: {b.summary()}")
            indexes[lg] = SearchIndex.open(index_dir, embedder=enc, hybrid=hybrid)
        for name in systems:
            if XQUAD_SYSTEMS[name][0] != key:
                continue
            mode = XQUAD_SYSTEMS[name][1]
            per_pair = {}
            for ql, pl in pairs:
                t0 = time.perf_counter()
                outcomes = run_system(System(name, indexes[pl], mode), xquad_queries(data[ql], data[pl]), k=METRICS_K, evidence_ks=())
                r = score_outcomes(outcomes, k=METRICS_K, evidence_ks=(), extra_metrics=EXTRA_METRICS, by_lang=False)
                keep = ["n_queries", f"ndcg@{METRICS_K}", "recall@1", f"recall@{METRICS_K}", f"mrr@{METRICS_K}", "latency_ms_p50", "latency_ms_p95"]
                per_pair[pair_name(ql, pl)] = {m: r[m] for m in keep}
                log(
                    f"{bench}: {name:9s} {pair_name(ql, pl)}: ndcg@10 {r['ndcg@10']:.3f} recall@1 {r['recall@1']:.3f} "
                    f"({time.perf_counter() - t0:.1f} s)"
                )
            report["systems"][name] = per_pair
    report["systems"] = {s: report["systems"][s] for s in systems}
    report["checks"] = xquad_checks(report) if bench == "xquad" else []
    return report


def xquad_checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets: dense en->en >= 0.965 and es->en >= 0.93 (nDCG@10); hybrid at
    least as good as the better of dense and BM25 on every pair; BM25 cross-lingual."""
    sysr = report["systems"]
    key = f"ndcg@{METRICS_K}"
    checks = []
    if "dense" in sysr and report.get("limit") is None:
        for pair, bound in (("en->en", 0.965), ("es->en", 0.93)):
            if pair in sysr["dense"]:
                v = sysr["dense"][pair][key]
                checks.append({"name": f"dense {pair} {key}", "value": round(v, 4), "target": f">= {bound}", "ok": v >= bound})
    if {"hybrid", "dense", "bm25"} <= set(sysr):
        for pair in sysr["hybrid"]:
            best = max(sysr["dense"][pair][key], sysr["bm25"][pair][key])
            v = sysr["hybrid"][pair][key]
            checks.append({
                "name": f"hybrid {pair} {key} >= max(dense, bm25)",
                "value": round(v, 4),
                "target": f">= {best:.4f}",
                "ok": v >= best - 1e-9,
            })
    if "bm25" in sysr:
        for pair in ("es->en", "en->es"):
            passage_lang = pair.split("->")[1]
            same_pair = pair_name(passage_lang, passage_lang)
            if pair in sysr["bm25"] and same_pair in sysr["bm25"]:
                checks.append({
                    "name": f"bm25 {pair} {key} (cross-lingual) vs {same_pair}",
                    "value": round(sysr["bm25"][pair][key], 4),
                    "target": f"< {sysr['bm25'][same_pair][key]:.4f} (shown, not a goal)",
                    "ok": sysr["bm25"][pair][key] < sysr["bm25"][same_pair][key],
                })
    return checks
