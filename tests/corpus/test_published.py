"""Publication dates, bounded years, metadata-only records and passage languages."""

from __future__ import annotations

import json

import pytest

from corpus.document import document_from_text
from corpus.ingest import load_corpus
from corpus.language import detect_language
from corpus.metadata import find_dates

BODY = (
    "The project ran from 2019 to 2022 and a follow-up phase is planned for 2027 and 2028. "
    "Partners met every month to review cases and referrals in the three districts."
)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("July 2025", "2025-07"),
        ("9th July 2025", "2025-07-09"),
        ("diciembre de 2024", "2024-12"),
        ("15 de marzo de 2023", "2023-03-15"),
        ("juillet 2025", "2025-07"),
        ("1er juin 2025", "2025-06-01"),
        ("Date du rapport final : 12 février 2024", "2024-02-12"),
    ],
)
def test_dates_in_three_languages(text, iso):
    assert find_dates(text) == [iso]


def test_published_from_a_metadata_field_bounds_the_years():
    d = document_from_text("x", BODY, meta={"title": "A report", "published": "2023-03-17"})
    assert d.published == "2023-03-17" and d.provenance["published"] == "metadata:published"
    assert d.years and max(d.years) <= 2023 and 2019 in d.years


def test_published_from_a_year_field_and_from_the_cover():
    d = document_from_text("x", BODY, meta={"title": "A report", "year": 2024})
    assert d.published == "2024" and d.provenance["published"] == "metadata:year"
    d = document_from_text("x", BODY, meta={"title": "A report", "cover_text": "Final report\nMarch 2025",
                                            "doc_created": "2025-04-02"})
    assert d.published == "2025-03" and d.provenance["published"] == "cover page"
    # a cover date after the file was made is not its publication date (a deadline, a plan)
    d = document_from_text("x", BODY, meta={"title": "A report", "cover_text": "Deadline: June 2031",
                                            "doc_created": "2025-04-02"})
    assert d.published == "2025-04-02" and d.provenance["published"].startswith("file metadata")


def test_a_bad_published_value_is_a_note_not_a_failure():
    notes: list[str] = []
    d = document_from_text("x", BODY, meta={"title": "T", "published": "soon"}, notes=notes)
    assert d.published is None and any("published" in n for n in notes)


def test_metadata_only_records_are_indexed_with_their_title(tmp_path):
    recs = [
        {"id": "a", "title": "Final evaluation of border management in Ghana", "year": 2021},
        {"id": "b", "title": "Évaluation finale du projet de réintégration au Niger", "text": ""},
        {"id": "c", "title": "Counter-trafficking in Peru", "text": BODY},
    ]
    (tmp_path / "cat.jsonl").write_text("\n".join(json.dumps(r) for r in recs), encoding="utf-8")
    report = load_corpus(tmp_path)
    docs = {d.id: d for d in report.documents}
    assert set(docs) == {"a", "b", "c"} and not report.skipped
    assert [p.text for p in docs["a"].passages] == [recs[0]["title"]]
    assert docs["a"].countries.primary == ("GH",) and docs["a"].published == "2021"
    assert docs["b"].countries.primary == ("NE",)
    assert len(docs["c"].passages) >= 1 and "title only" not in docs["c"].provenance.get("passages", "")


def test_short_or_list_like_text_keeps_the_documents_language():
    places = "Ouanaminthe - Dajabón, Belladère - Elias Piña, Malpasse - Jimaní, Anse à Pitres - Pedernales"
    assert detect_language(places, default="fr") == "fr"
    assert detect_language("Les migrants retournés ont reçu une aide pour leur réintégration dans les "
                           "communautés et les autorités locales ont été associées.") == "fr"
    assert detect_language("The returnees received support for their reintegration in the communities "
                           "and the local authorities took part in the design of the activities.",
                           default="fr") == "en"
