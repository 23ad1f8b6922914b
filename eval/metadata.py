"""Metadata benchmarks: countries read from titles against a catalogue's "countries covered",
and GCM objectives inferred from labelled text.

    practice-search eval --benchmark iom-titles --json-out reports/iom-titles.json
    practice-search eval --benchmark gcm-objectives [--labelled FILE] --json-out R.json

Each catalogue record (title, countries_covered, languages) becomes a document holding its
title and a neutral one-line body, built by the same ingestion code as any file; the countries
ingestion places it in (explicit + primary, what the country filter uses) are compared with the
record's. Records without a country (Worldwide, empty) are not scored. Precision and recall are
micro-averaged over country codes, overall and by the record's language.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from corpus.types import Document

__all__ = [
    "score_title_countries",
    "titles_markdown",
    "score_objectives",
    "objectives_markdown",
    "run_metadata_benchmark",
    "NEUTRAL_BODY",
]

#: The body every record gets, so that only the title can name a country.
NEUTRAL_BODY = "This record describes one evaluation of a programme and what it found."


def _gold(values: list[str]) -> tuple[set[str], list[str]]:
    from corpus.countries import resolve_country

    codes: set[str] = set()
    unresolved = []
    for v in values or []:
        v = str(v).strip()
        if not v or v.lower() in ("worldwide", "global", "nan", "none"):
            continue
        try:
            codes.add(resolve_country(v))
        except ValueError:
            unresolved.append(v)
    return codes, unresolved


def score_title_countries(records_path: str | Path, *, examples: int = 25) -> dict[str, Any]:
    """Precision and recall of the countries placed from titles, with the disagreements."""
    from corpus.ingest import document_from_text

    path = Path(records_path)
    if not path.is_file():
        raise FileNotFoundError(f"catalogue records not found: {path}")
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn by language
    extra: list[dict[str, Any]] = []
    missed: list[dict[str, Any]] = []
    unresolved: set[str] = set()
    scored = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        gold, bad = _gold(rec.get("countries_covered") or [])
        unresolved.update(bad)
        if not gold:
            continue
        scored += 1
        doc = document_from_text(str(rec.get("id", scored)), NEUTRAL_BODY, meta={"title": rec["title"]})
        got = set(doc.countries.codes(("explicit", "primary")))
        lang = str(rec.get("languages") or "unknown").split(",")[0].strip() or "unknown"
        for key in ("all", lang):
            c = counts[key]
            c[0] += len(got & gold)
            c[1] += len(got - gold)
            c[2] += len(gold - got)
        # records are named by id: the catalogue's text stays in its own file
        rid = str(rec.get("id", scored))
        if got - gold and len(extra) < examples:
            extra.append({"id": rid, "read": sorted(got), "catalogue": sorted(gold)})
        if gold - got and len(missed) < examples:
            missed.append({"id": rid, "read": sorted(got), "catalogue": sorted(gold)})

    def pr(c: list[int]) -> dict[str, Any]:
        tp, fp, fn = c
        return {
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "tp": tp,
            "fp": fp,
            "fn": fn,
        }

    return {
        "benchmark": "iom-titles",
        "source": str(path),
        "records_scored": scored,
        "overall": pr(counts["all"]),
        "by_language": {k: pr(v) for k, v in sorted(counts.items()) if k != "all"},
        "unresolved_catalogue_names": sorted(unresolved),
        "read_not_in_catalogue": extra,
        "in_catalogue_not_read": missed,
    }


def titles_markdown(report: dict[str, Any]) -> str:
    o = report["overall"]
    lines = [
        "## Countries read from catalogue titles",
        "",
        f"{report['records_scored']} records with countries ({report['source']}); each indexed as its "
        "title and a neutral one-line body; explicit + primary countries against \"countries covered\".",
        "",
        "| records | precision | recall | tp | fp | fn |",
        "|---|---|---|---|---|---|",
        f"| all | {o['precision']} | {o['recall']} | {o['tp']} | {o['fp']} | {o['fn']} |",
    ]
    for lang, r in report["by_language"].items():
        lines.append(f"| {lang} | {r['precision']} | {r['recall']} | {r['tp']} | {r['fp']} | {r['fn']} |")
    lines += ["", "Read from the title but not in the catalogue (first ones):", ""]
    lines += [f"- record {e['id']}: read {', '.join(e['read'])}; catalogue {', '.join(e['catalogue'])}"
              for e in report["read_not_in_catalogue"]]
    return "\n".join(lines) + "\n"


def infer_labelled(records: list[dict[str, Any]], embedder) -> list[Document]:
    """Each labelled text read as one document, with its objectives inferred as an index
    infers them (the embedding model over its passages, `indexer.objectives`)."""
    from corpus.document import document_from_text
    from indexer.objectives import infer_documents, model_for
    from indexer.store import MetadataStore

    docs = [
        document_from_text(str(r.get("id", i)), r["text"], meta={"title": r.get("title", ""), "lang": r.get("lang")})
        for i, r in enumerate(records)
    ]
    store = MetadataStore(docs)
    vectors = embedder.embed_passages([store.embed_text(r) for r in range(store.n_rows)])
    return infer_documents(store.documents, vectors, store.row_doc, model_for(embedder))


def score_objectives(labelled_path: str | Path, embedder=None) -> dict[str, Any]:
    """Objective inference on a labelled file (JSON Lines: `text`, `objective` 1-23, optional
    `lang` and `title`): top-1 and top-3 accuracy of the inferred objectives (most confident
    first), and precision and recall of the default-on ones (confident: what the default
    objective sources count as "inferred"), overall and by language. Each text is read as one
    document, as ingestion reads any record; `embedder` defaults to the configured model."""
    from indexer.build import get_embedder

    path = Path(labelled_path)
    if not path.is_file():
        raise FileNotFoundError(f"labelled objectives file not found: {path}")
    records = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        rec = json.loads(line)
        if not 1 <= int(rec["objective"]) <= 23:
            raise ValueError(f"{path}:{i + 1}: objective {rec['objective']} is not 1-23")
        records.append(rec)
    # the same text under two objectives: the file contradicts itself (reported, kept as given)
    seen: dict[str, dict[str, Any]] = {}
    conflicts: list[dict[str, Any]] = []
    for rec in records:
        key = " ".join(rec["text"].split()).lower()
        first = seen.setdefault(key, rec)
        if first is not rec and int(first["objective"]) != int(rec["objective"]):
            conflicts.append({"ids": [first.get("id"), rec.get("id")],
                              "objectives": [int(first["objective"]), int(rec["objective"])]})
    embedder = embedder or get_embedder()
    docs = infer_labelled(records, embedder)
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # n, top1, top3, on, on & right
    misses: list[dict[str, Any]] = []
    for rec, doc in zip(records, docs, strict=True):
        gold = int(rec["objective"])
        inferred = sorted(doc.objectives.inferred, key=lambda o: -o.score)
        ranked = [o.number for o in inferred]
        on = [o.number for o in inferred if o.confident]
        lang = rec.get("lang") or (doc.languages[0] if doc.languages else "und")
        for key in ("all", lang):
            c = by[key]
            c[0] += 1
            c[1] += bool(ranked) and ranked[0] == gold
            c[2] += gold in ranked[:3]
            c[3] += len(on)
            c[4] += gold in on
        if (not ranked or ranked[0] != gold) and len(misses) < 25:
            misses.append({"id": rec.get("id"), "objective": gold,
                           "inferred": [(o.number, round(o.score, 3)) for o in inferred]})

    def rates(c: list[int]) -> dict[str, Any]:
        n, t1, t3, on, right = c
        return {
            "n": n,
            "top1": round(t1 / n, 4) if n else None,
            "top3": round(t3 / n, 4) if n else None,
            "default_on": on,
            "precision": round(right / on, 4) if on else None,
            "recall": round(right / n, 4) if n else None,
        }

    from indexer.objectives import objective_settings

    return {
        "benchmark": "gcm-objectives",
        "source": str(path),
        "model": embedder.model_id,
        "inference": objective_settings(),
        "overall": rates(by["all"]),
        "by_language": {k: rates(v) for k, v in sorted(by.items()) if k != "all"},
        "label_conflicts": conflicts,
        "top1_misses": misses,
    }


def objectives_markdown(report: dict[str, Any]) -> str:
    lines = [
        "## GCM objectives inferred from text",
        "",
        f"{report['overall']['n']} labelled texts ({report['source']}).",
        "",
        f"Model {report.get('model', '?')}; a placement is on by default from confidence "
        f"{report.get('inference', {}).get('confident', '?')}. Precision and recall are those "
        "of the default-on placements.",
        "",
        "| texts | n | top-1 | top-3 | default-on | precision | recall |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in [("all", report["overall"]), *report["by_language"].items()]:
        lines.append(f"| {name} | {r['n']} | {r['top1']} | {r['top3']} | {r.get('default_on', '')} | "
                     f"{r['precision']} | {r['recall']} |")
    for c in report.get("label_conflicts", []):
        lines.append(f"\nThe labelled file gives the same text two objectives: {c['ids'][0]} "
                     f"({c['objectives'][0]}) and {c['ids'][1]} ({c['objectives'][1]}); both are scored as labelled.")
    return "\n".join(lines) + "\n"


def run_metadata_benchmark(name: str, data: Path, json_out: Path, md_out: Path | None) -> str:
    """Score benchmark `name` ("iom-titles" or "gcm-objectives") on `data`, write the JSON
    report (and the Markdown one), and return a one-line summary."""
    from eval.report import write_json

    if name == "iom-titles":
        report = score_title_countries(data)
        md = titles_markdown(report)
        o = report["overall"]
        line = f"iom-titles: {report['records_scored']} records: precision {o['precision']} recall {o['recall']}"
    elif name == "gcm-objectives":
        report = score_objectives(data)
        md = objectives_markdown(report)
        o = report["overall"]
        line = (f"gcm-objectives: {o['n']} texts: top-1 {o['top1']} top-3 {o['top3']} "
                f"precision {o['precision']} recall {o['recall']}")
    else:
        raise ValueError(f"unknown metadata benchmark {name!r}: choose iom-titles or gcm-objectives")
    write_json(report, json_out)
    if md_out:
        md_out.write_text(md, encoding="utf-8")
    return line
