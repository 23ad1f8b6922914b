"""Ingestion of real IOM evaluation files (../shared/real-reports): the facts an analyst's
filters and counts stand on. The files are read where they lie, never copied here."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from corpus.ingest import load_corpus
from corpus.titles import is_form_label

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "real-reports"

#: Where we believe the catalogue, not the file, is off (reported on the issue, not tuned to).
CATALOGUE_DISAGREES = {
    # its cover gives a publication date in the year before the catalogue's record
    "AAP Evaluation - Management Response Final.docx": "published",
    # its cover gives the final report's date, in the year before the catalogue's record
    "AAP_EN_Evaluation Brief_final_0.pdf": "published",
    # a call for applications dated (deadline) October 2024; the catalogue's year is the
    # evaluation's, which the call preceded
    "CS1137-CS1138_Evaluation ToR_Javier SANCHEZ MARTI.pdf": "published",
}

#: Text that a file repeats as content, not page furniture: both management response documents
#: name the same responsible units or addressees under every recommendation, inside sentences
#: that differ from one recommendation to the next.
REPEATS_AS_CONTENT = {
    "CS1137-CS1138_Management Response Plan_Javier SANCHEZ MARTI.pdf",
    "HoA EU JI Final Eval - Management Response Matrix - Final.pdf",
}

pytestmark = pytest.mark.skipif(not (SHARED / "files").is_dir(), reason="../shared/real-reports absent")


@pytest.fixture(scope="module")
def reports():
    report = load_corpus(SHARED / "files")
    catalogue = [json.loads(line) for line in (SHARED / "catalogue.jsonl").read_text().splitlines() if line.strip()]
    by_file = {f: rec for rec in catalogue for f in rec["files"]}
    return report, {d.source: d for d in report.documents}, by_file


def test_every_file_is_indexed(reports):
    report, docs, by_file = reports
    assert not report.skipped
    assert set(docs) == set(by_file)


def test_titles_are_titles(reports):
    _, docs, _ = reports
    for d in docs.values():
        assert not re.fullmatch(r"[\d\W]*", d.title), d.source
        assert not is_form_label(d.title), (d.source, d.title)
        assert len(d.title.split()) >= 4, (d.source, d.title)
        assert d.provenance["title"], d.source


def test_published_matches_the_catalogue_year_where_the_cover_gives_a_date(reports):
    _, docs, by_file = reports
    from_cover = [d for d in docs.values() if d.provenance.get("published") == "cover page"]
    assert len(from_cover) >= 6
    for d in from_cover:
        if CATALOGUE_DISAGREES.get(d.source) == "published":
            continue
        assert d.published[:4] == str(by_file[d.source]["year"]), (d.source, d.published)
    for d in docs.values():
        assert d.published, d.source
        assert all(y <= int(d.published[:4]) for y in d.years), d.source


def _runs(text: str, n: int = 8) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_no_running_headers_contents_or_page_marks_in_passages(reports):
    _, docs, _ = reports
    for d in docs.values():
        seen: Counter[str] = Counter()
        prev: set[str] = set()
        for p in d.passages:
            runs = _runs(p.text)
            seen.update(runs - prev)  # a run shared with the previous passage is their overlap
            prev = runs
            assert not re.search(r"(?:\.\s?){6,}\s*\d+", p.text), (d.source, p.text[:120])
            assert not re.search(r"\bP a g e\b", p.text), (d.source, p.text[:120])
        if len(d.passages) >= 20 and d.source not in REPEATS_AS_CONTENT:
            top = seen.most_common(1)
            assert not top or top[0][1] <= 0.1 * len(d.passages), (d.source, top)


def test_long_reports_have_sections(reports):
    _, docs, _ = reports
    long = [d for d in docs.values() if len(d.passages) >= 60]
    assert long
    for d in long:
        other = sum(p.section_kind == "other" for p in d.passages)
        assert other < 0.5 * len(d.passages), (d.source, other, len(d.passages))


def test_primary_countries(reports):
    _, docs, by_file = reports
    for source, d in docs.items():
        rec = by_file[source]
        primary = set(d.countries.primary)
        if rec["countries_covered"] == ["Worldwide"]:
            assert len(primary) <= 3, (source, primary)
        elif "Haiti" in rec["countries_covered"]:
            assert {"HT", "DO"} <= primary, (source, primary)
        else:
            assert len(primary) <= 6, (source, primary)
    hoa = [d for s, d in docs.items() if re.search("horn of africa", d.title, re.I)]
    assert len(hoa) >= 4
    for d in hoa:
        assert {"DJ", "ET", "SO"} <= set(d.countries.primary), (d.source, d.countries.primary)
