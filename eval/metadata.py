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


def score_objectives(labelled_path: str | Path) -> dict[str, Any]:
    """Objective inference on a labelled file (JSON Lines: `text`, `objective` 1-23, optional
    `lang`): top-1 and top-3 accuracy of the inferred objectives, and precision and recall of
    the objectives inference returns (what `objective_sources=inferred` filters on), overall
    and by language. Each text is read as one document, as ingestion reads any record."""
    from corpus.document import document_from_text

    path = Path(labelled_path)
    if not path.is_file():
        raise FileNotFoundError(f"labelled objectives file not found: {path}")
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # n, top1, top3, returned, right
    misses: list[dict[str, Any]] = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        rec = json.loads(line)
        gold = int(rec["objective"])
        if not 1 <= gold <= 23:
            raise ValueError(f"{path}:{i + 1}: objective {gold} is not 1-23")
        doc = document_from_text(str(rec.get("id", i)), rec["text"], meta={"title": "", "lang": rec.get("lang")})
        ranked = [o.number for o in doc.objectives.inferred]
        lang = rec.get("lang") or (doc.languages[0] if doc.languages else "und")
        for key in ("all", lang):
            c = by[key]
            c[0] += 1
            c[1] += bool(ranked) and ranked[0] == gold
            c[2] += gold in ranked[:3]
            c[3] += len(ranked)
            c[4] += gold in ranked
        if (not ranked or ranked[0] != gold) and len(misses) < 25:
            misses.append({"id": rec.get("id", i), "objective": gold, "inferred": ranked})

    def rates(c: list[int]) -> dict[str, Any]:
        n, t1, t3, returned, right = c
        return {
            "n": n,
            "top1": round(t1 / n, 4) if n else None,
            "top3": round(t3 / n, 4) if n else None,
            "precision": round(right / returned, 4) if returned else None,
            "recall": round(right / n, 4) if n else None,
        }

    return {
        "benchmark": "gcm-objectives",
        "source": str(path),
        "overall": rates(by["all"]),
        "by_language": {k: rates(v) for k, v in sorted(by.items()) if k != "all"},
        "top1_misses": misses,
    }


def objectives_markdown(report: dict[str, Any]) -> str:
    lines = [
        "## GCM objectives inferred from text",
        "",
        f"{report['overall']['n']} labelled texts ({report['source']}).",
        "",
        "| texts | n | top-1 | top-3 | precision | recall |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in [("all", report["overall"]), *report["by_language"].items()]:
        lines.append(f"| {name} | {r['n']} | {r['top1']} | {r['top3']} | {r['precision']} | {r['recall']} |")
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
