"""Ingestion of the five seed documents: metadata, sections, passages."""

from __future__ import annotations

import re

from corpus.chunking import get_counter
from corpus.types import SECTION_KINDS

BOILERPLATE = re.compile(
    r"Skip to main content|Repository of Practices|Latest content|All practices are to uphold|"
    r"Disclaimer|necessarily (?:reflect|represent)|References to Kosovo|Find out more|"
    r"Haga clic aquí|GCM Guiding Principles",
    re.IGNORECASE,
)


def test_all_seeds_read(seeds_report):
    assert seeds_report.files_read == 5
    assert len(seeds_report.documents) == 5
    assert not seeds_report.skipped
    ids = [d.id for d in seeds_report.documents]
    assert ids == sorted(ids)
    assert all(d.format == "txt" and len(d.checksum) == 64 for d in seeds_report.documents)


def test_000_explicit_countries_and_objectives(seed_docs):
    d = seed_docs["000"]
    assert set(d.countries.primary) == {"PE", "EC"}  # named in the title: where it takes place
    assert d.objectives.explicit == (6, 10, 15)
    assert d.doc_type == "practice"
    assert d.title.startswith("Using local-level qualitative research")
    assert d.years == (2022, 2023, 2024)
    assert "2024-07-30" in d.dates
    assert "FLACSO Ecuador" in d.organizations
    assert d.provenance["objectives.explicit"].startswith("field:")
    assert "title" in d.provenance["countries.primary"]


def test_001_mentions_and_no_duplicate_passages(seed_docs):
    d = seed_docs["001"]
    assert "EC" in d.countries.all()
    assert {7, 16} <= set(d.objectives.mentioned)
    texts = [" ".join(p.text.split()) for p in d.passages]
    assert len(texts) == len(set(texts))
    # The page is in the file twice: no sentence of any length may appear in two passages
    # except through the overlap between neighbours of one section.
    firsts = [t[:80] for t in texts]
    assert len(firsts) == len(set(firsts))
    assert sum(1 for p in d.passages if p.section_kind == "summary") <= 3
    assert "UN Women" in d.organizations


def test_003_peru_bilingual_years(seed_docs):
    d = seed_docs["003"]
    assert "PE" in d.countries.explicit
    # the donor (the U.S. Department of State) is not a place of the practice
    assert d.countries.primary == ("PE",) and "US" in d.countries.mentioned
    assert "US" in d.provenance["countries.donors"]
    langs = {p.lang for p in d.passages}
    assert {"es", "en"} <= langs
    assert d.languages[0] == "en" and "es" in d.languages
    assert set(range(2017, 2025)) <= set(d.years)
    assert d.doc_type == "evaluation"
    assert "ILO" in d.organizations
    kinds = {p.section_kind for p in d.passages}
    assert {"summary", "context", "results", "lessons", "recommendations"} <= kinds
    # numbered sub-headings ("R.4. ...") inherit the kind of the section they sit in
    assert all(p.section_kind == "recommendations" for p in d.passages if re.match(r"R\.?\d", p.section))


def test_004_mentions_countries(seed_docs):
    d = seed_docs["004"]
    assert {"BR", "MX", "CR", "BJ", "ZM"} <= set(d.countries.all())
    assert "CG" not in d.countries.all()  # "Democratic Republic of the Congo" is CD only
    assert "CD" in d.countries.all()


def test_002_digest_title_and_type(seed_docs):
    d = seed_docs["002"]
    assert d.doc_type == "digest"
    assert "Digest" not in d.title
    assert "2021-11" in d.dates


def test_no_boilerplate_in_passages(seeds_report):
    for d in seeds_report.documents:
        for p in d.passages:
            assert not BOILERPLATE.search(p.text), (p.id, p.text[:200])
            assert "](" not in p.text and "<u>" not in p.text


def test_passages_within_token_bound(seeds_report):
    counter = get_counter()
    assert counter.tokenizer is not None, "the XLM-R tokenizer should be installed"
    texts = [p.text for d in seeds_report.documents for p in d.passages]
    assert max(counter.count(texts)) <= 200


def test_passage_ids_and_fields(seeds_report):
    for d in seeds_report.documents:
        assert d.passages
        for i, p in enumerate(d.passages):
            assert p.id == f"{d.id}#{i}" and p.ordinal == i and p.doc_id == d.id
            assert p.section_kind in SECTION_KINDS
            assert p.lang in ("en", "es")
            assert p.text.strip()


def test_sections_of_practice_pages(seed_docs):
    d = seed_docs["000"]
    by_kind = {p.section_kind: p.section for p in d.passages}
    assert by_kind["summary"] == "Summary"
    assert by_kind["results"] == "Benefit and Impact"
    assert by_kind["lessons"] == "Key Lessons"
    assert by_kind["innovation"] == "Innovation"
    assert by_kind["recommendations"].startswith("Recommendations")


def test_inferred_objectives_are_scored(seeds_report):
    """Before indexing, objectives are only suggested from words (the index infers them with
    the model, tests/indexer/test_seeds.py): scored, and never counted by default."""
    for d in seeds_report.documents:
        assert 1 <= len(d.objectives.inferred) <= 3
        scores = [o.score for o in d.objectives.inferred]
        assert scores == sorted(scores, reverse=True)
        assert all(0 < s <= 1 for s in scores)
        assert not any(o.confident for o in d.objectives.inferred)
    # the trafficking evaluation's words are about objective 10
    docs = {d.id[:3]: d for d in seeds_report.documents}
    assert 10 in [o.number for o in docs["003"].objectives.inferred]


def test_roundtrip_to_dict(seeds_report):
    from corpus.types import Document

    for d in seeds_report.documents:
        again = Document.from_dict(d.to_dict())
        assert again == d


def test_deterministic(seeds_dir, seeds_report):
    from corpus.ingest import load_corpus

    again = load_corpus(seeds_dir)
    assert [d.to_dict() for d in again.documents] == [d.to_dict() for d in seeds_report.documents]


def test_searchable_field_values_are_kept_as_a_details_passage(seed_docs):
    """Places, partners, captions and SDG targets stay searchable, not only metadata."""
    details = {
        num: [p.text for p in d.passages if p.section == "Details"] for num, d in seed_docs.items()
    }
    d001 = details["001"]
    assert len(d001) == 1  # the page is in the file twice; its fields are kept once
    assert "Sucumbíos, Imbabura, Carchi y Esmeraldas" in d001[0]
    assert "UN Women" in d001[0]
    assert "ODS 5.5" in details["003"][0]
    # objective numbers and dates are metadata only
    assert not any("GCM Objectives" in t or "Dates" in t for ts in details.values() for t in ts)
