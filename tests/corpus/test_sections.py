"""Section labels in English and Spanish, and section-aware passages."""

from __future__ import annotations

import pytest

from corpus.chunking import chunk_paragraphs, get_counter, split_sentences
from corpus.ingest import document_from_text
from corpus.sections import is_meta_label, section_kind
from corpus.types import SECTION_KINDS


@pytest.mark.parametrize(
    "label, kind",
    [("Summary", "summary"), ("Resumen", "summary"), ("Resumen ejecutivo", "summary"),
     ("RESUMEN EJECUTIVO", "summary"), ("Background", "context"), ("Context", "context"),
     ("Contexto", "context"), ("Antecedentes", "context"), ("BACKGROUND AND CONTEXT", "context"),
     ("Activities", "activities"), ("Actividades", "activities"), ("Methodology", "activities"),
     ("Metodología", "activities"), ("Results", "results"), ("Impact", "results"),
     ("Benefit and Impact", "results"), ("Resultados", "results"), ("Impacto", "results"),
     ("Key Lessons", "lessons"), ("Lessons learned", "lessons"), ("Lecciones aprendidas", "lessons"),
     ("Good practices", "lessons"), ("Buenas prácticas", "lessons"), ("Challenges", "lessons"),
     ("Desafíos", "lessons"), ("Recommendations", "recommendations"),
     ("Recommendations(if the practice is to be replicated)", "recommendations"),
     ("Recomendaciones:", "recommendations"), ("3. Recomendaciones", "recommendations"),
     ("Innovation", "innovation"), ("Innovación", "innovation"), ("Conclusions", "results"),
     ("Conclusiones", "results"), ("LESSONS LEARNED, BEST PRACTICES AND RECOMMENDATIONS", "lessons"),
     ("Main results", "results"), ("Resultados obtenidos", "results"),
     ("Principales resultados", "results"), ("Challenges encountered", "lessons"),
     ("Lecciones aprendidas y recomendaciones", "lessons"), ("## Contexto", "context")],
)
def test_section_kinds(label, kind):
    assert kind in SECTION_KINDS
    assert section_kind(label) == kind


@pytest.mark.parametrize("label", ["Relevance", "The project in Cusco", "Summary of the purpose of it",
                                   "Dates", ""])
def test_not_section_labels(label):
    assert section_kind(label) is None


def test_meta_labels():
    assert is_meta_label("Dates") and is_meta_label("Country:") and is_meta_label("País(es):")
    assert is_meta_label("Main Implementing Organization(s)") and not is_meta_label("Summary")


SENT = "La oficina municipal atendió a {n} familias migrantes durante el año con asesoría legal."


def test_passages_stay_in_sections_and_inherit_kinds():
    text = (
        "Título de la práctica\n\nResumen\n\n" + " ".join(SENT.format(n=i) for i in range(40))
        + "\n\nLecciones aprendidas\n\nEl trabajo con las municipalidades fue clave para sostener el "
        "servicio en el tiempo y ampliar la cobertura.\n\nDesafío en Cusco\n\nLa rotación del "
        "personal obligó a repetir las capacitaciones cada semestre en varias oficinas.\n"
    )
    d = document_from_text("t", text)
    assert d.title == "Título de la práctica"
    kinds = [(p.section, p.section_kind) for p in d.passages]
    assert kinds[0] == ("Resumen", "summary") and len([k for k in kinds if k[1] == "summary"]) >= 2
    assert ("Lecciones aprendidas", "lessons") in kinds
    assert ("Desafío en Cusco", "lessons") in kinds  # a sub-heading inherits its section's kind
    for p in d.passages:
        assert ("Lecciones" in p.text) is False
        assert p.lang == "es"
    counter = get_counter()
    assert max(counter.count([p.text for p in d.passages])) <= 200


def test_overlap_between_consecutive_passages():
    paras = [" ".join(SENT.format(n=i) for i in range(30))]
    out = chunk_paragraphs(paras, 60, 20)
    assert len(out) > 3
    counter = get_counter()
    assert max(counter.count(out)) <= 60
    for a, b in zip(out, out[1:], strict=False):
        assert b.split(".")[0] in a  # the next passage starts with the end of the previous one


def test_overlong_sentence_is_cut_at_words():
    words = " ".join(f"palabra{i}" for i in range(400))
    out = chunk_paragraphs([words], 50, 10)
    counter = get_counter()
    assert len(out) > 5 and max(counter.count(out)) <= 50
    assert all(not p.startswith("alabra") for p in out)
    assert set(" ".join(out).split()) == set(words.split())


def test_split_sentences_keeps_abbreviations():
    s = split_sentences("Support from the U.S. Department of State, e.g. funding. Next one starts. 3 more.")
    assert s == ["Support from the U.S. Department of State, e.g. funding.", "Next one starts.", "3 more."]


def test_word_estimate_fallback():
    from corpus.chunking import TokenCounter

    c = TokenCounter(None)
    out = chunk_paragraphs([" ".join(SENT.format(n=i) for i in range(30))], 60, 10, c)
    assert out and max(c.count(out)) <= 60


def test_link_lists_keep_only_described_items():
    text = (
        "Digest title\n\nIntro\n\nThe team reviewed programmes on labour migration across three "
        "regions and shared the findings with ministries.\n\nOther resources:\n\n"
        "- Programme webpage\n- Field Guide\n- Chile: Survey Final Report examines how "
        "recruitment fees affect the debts of migrant workers in agriculture.\n"
    )
    d = document_from_text("links", text)
    joined = " ".join(p.text for p in d.passages)
    assert "Field Guide" not in joined and "Programme webpage" not in joined
    assert "recruitment fees" in joined
    assert "CL" in d.countries.mentioned
