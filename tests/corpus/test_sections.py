"""Section labels in English, Spanish and French, and section-aware passages."""

from __future__ import annotations

import pytest

from corpus.chunking import chunk_paragraphs, get_counter, split_sentences
from corpus.ingest import document_from_text
from corpus.sections import is_boilerplate, is_caption, is_meta_label, section_kind
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


@pytest.mark.parametrize("label", ["Relevant partners in Lima", "The project in Cusco",
                                   "Summary of the purpose of it", "Dates", "", "Annex 2 lists the people met",
                                   "Section civil society", "Part of the problem", "Finding 3: the office grew"])
def test_not_section_labels(label):
    assert section_kind(label) is None


@pytest.mark.parametrize(
    "label, kind",
    [  # French
     ("Résumé", "summary"), ("Résumé exécutif", "summary"), ("SYNTHÈSE", "summary"),
     ("Sommaire exécutif", "summary"), ("Contexte", "context"), ("Introduction", "context"),
     ("Historique", "context"), ("Justification", "context"), ("Contexte et justification", "context"),
     ("Méthodologie", "activities"), ("Approche", "activities"), ("Mise en œuvre", "activities"),
     ("Mise en oeuvre", "activities"), ("Activités", "activities"), ("Constatations", "results"),
     ("Principales constatations", "results"), ("Résultats", "results"), ("Conclusions", "results"),
     ("Effets", "results"), ("Réalisations", "results"), ("Leçons apprises", "lessons"),
     ("Enseignements tirés", "lessons"), ("Bonnes pratiques", "lessons"), ("Défis", "lessons"),
     ("Recommandations", "recommendations"), ("Prochaines étapes", "recommendations"),
     ("Voie à suivre", "recommendations"), ("Innovation", "innovation"),
     ("Conclusions et recommandations", "results"), ("Leçons apprises et bonnes pratiques", "lessons"),
     # English and Spanish gaps
     ("Evaluation findings", "results"), ("Conclusions and recommendations", "results"),
     ("Lessons learned and good practices", "lessons"), ("Conclusiones y recomendaciones", "results"),
     ("Camino a seguir", "recommendations"), ("Background of the project", "context"),
     # evaluation criteria (OECD-DAC) are findings sections
     ("Relevance", "results"), ("Pertinencia", "results"), ("Pertinence", "results"),
     ("Coherence", "results"), ("Coherencia", "results"), ("Cohérence", "results"),
     ("Effectiveness", "results"), ("Eficacia", "results"), ("Efficacité", "results"),
     ("Efficiency", "results"), ("Eficiencia", "results"), ("Efficience", "results"),
     ("Impact", "results"), ("Impacto", "results"), ("Sustainability", "results"),
     ("Sostenibilidad", "results"), ("Durabilité", "results"), ("Viabilité", "results"),
     ("Cross-cutting issues", "results"), ("Temas transversales", "results"),
     ("Questions transversales", "results"), ("Relevance and coherence", "results"),
     # evaluation method and purpose
     ("Evaluation methodology", "activities"), ("Scope and methodology", "activities"),
     ("Méthodologie de l'évaluation", "activities"), ("Méthodologie de l’évaluation", "activities"),
     ("Metodología de la evaluación", "activities"), ("Purpose", "context"),
     ("Objectives of the evaluation", "context"), ("Objet de l'évaluation", "context"),
     ("Objetivos de la evaluación", "context"), ("Purpose of the evaluation", "context"),
     # numbering
     ("3.2 Effectiveness", "results"), ("III. Findings", "results"), ("Chapter 2: Context", "context"),
     ("Section 4 – Conclusions", "results"), ("Chapitre 1 : Introduction", "context"),
     ("Capítulo III. Resultados", "results"), ("Sección 2. Metodología", "activities"),
     ("CHAPTER IV LESSONS LEARNED", "lessons"), ("A. Relevance", "results"), ("b) Efficiency", "results"),
     ("Finding 3:", "results"), ("Hallazgo 2", "results"), ("Recommendation 4", "recommendations"),
     ("Recomendación 1:", "recommendations"), ("## 2.1 Pertinence", "results")],
)
def test_section_kinds_fr_and_evaluation(label, kind):
    assert section_kind(label) == kind


@pytest.mark.parametrize(
    "label",
    ["Annex", "Annexes", "Appendix", "Appendices", "Anexo", "Anexos", "Annexe", "ANNEXES",
     "Annex 1: Evaluation matrix", "Annex 1: evaluation matrix", "ANNEX B TERMS OF REFERENCE",
     "Annex II. List of interviewees", "Appendix 3", "Anexo 1. Matriz de evaluación",
     "Annexe A – Termes de référence", "Glossary", "Glosario", "Acknowledgements",
     "Remerciements", "Agradecimientos"],
)
def test_back_matter_is_other(label):
    assert section_kind(label) == "other"


@pytest.mark.parametrize(
    "label",
    ["References", "Bibliography", "Bibliographie", "Bibliografía", "Acronyms", "Abbreviations",
     "List of acronyms", "Acronyms and abbreviations", "Sigles et abréviations", "Liste des sigles",
     "Acrónimos", "Siglas y acrónimos", "Table of contents", "Contents", "Table des matières",
     "Índice", "Notes", "Footnotes", "Notas"],
)
def test_lists_that_answer_no_question_are_references(label):
    assert section_kind(label) == "references"


def test_headings_after_an_acronyms_list_are_not_references():
    body = "The office reviewed the referral system with partners and local authorities in 2022."
    text = f"Report title\n\nAcronyms\n\nMRC Migrant Resource Centre\n\nThe referral desks\n\n{body}\n"
    d = document_from_text("acr", text)
    kinds = {p.section: p.section_kind for p in d.passages}
    assert kinds == {"Acronyms": "references", "The referral desks": "other"}, kinds


def test_back_matter_ends_the_previous_section():
    body = "The office reviewed the referral system with partners and local authorities in 2022."
    text = (f"Report title\n\nRecommendations\n\n{body}\n\nAnnex 1: Evaluation matrix\n\n"
            f"Interview guide\n\n{body.replace('2022', '2023')}\n")
    d = document_from_text("annex", text)
    kinds = [(p.section, p.section_kind) for p in d.passages]
    assert kinds[0] == ("Recommendations", "recommendations")
    assert ("Interview guide", "recommendations") not in kinds and ("Interview guide", "other") in kinds


@pytest.mark.parametrize(
    "line",
    ["Figure 3. Overall process of the evaluation", "Fig. 2: Map of offices", "Table 4 – Budget by year",
     "Tableau 2 : Répartition des bénéficiaires", "Graphique 1", "Gráfico 3. Personas atendidas",
     "Cuadro 2", "Tabla 1", "Box 2", "Encadré 1 Témoignage", "Recuadro 4", "Map 1", "Carte 2",
     "Mapa 3", "Source: IOM survey, 2023", "Fuente: elaboración propia", "Note: figures rounded",
     "Sources : OIM", "FIGURE 5 RESULTS CHAIN", "Table A1: Indicators", "## Figure 2. Theory of change"],
)
def test_captions(line):
    assert is_caption(line)
    assert section_kind(line) is None


@pytest.mark.parametrize(
    "line",
    ["Table 1 shows that most households were reached", "Tables", "Figures", "Table of contents",
     "Table des matières", "Map of the region", "Sourcing of migrant workers", "Figure out the plan",
     "Findings", "Notebook entries"],
)
def test_not_captions(line):
    assert not is_caption(line)


def test_french_boilerplate():
    for line in ("Page 3 sur 12", "Sommaire", "Retour en haut", "Retour en haut de la page", "Lire la suite",
                 "Partager"):
        assert is_boilerplate(line), line
    for line in ("Sommaire exécutif", "Partager les données entre ministères", "Page 3 of the report says"):
        assert not is_boilerplate(line), line


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
    assert "CL" in d.countries.all()


def test_a_field_or_a_sentence_introducing_a_list_is_not_a_heading():
    body = "The office reviewed the referral system with partners and local authorities in 2022."
    text = (f"Report title\n\nRecommendations\n\n{body}\n\nResponsible unit(s): Protection Unit\n\n{body}\n\n"
            "For the follow-up to this recommendation, the following activities should be considered:\n\n"
            f"{body.replace('2022', '2023')}\n")
    d = document_from_text("mr", text)
    assert {p.section for p in d.passages} == {"Recommendations"}
    assert any("Responsible unit(s): Protection Unit" in p.text for p in d.passages)


def test_a_forms_blanks_and_tick_boxes_are_not_text():
    d = document_from_text("form", "Questionnaire\n\nQ3.2 Other support (specify)______________ |__|\n\n"
                                   "☐ Housing ☐ Health ☐ Schooling support for the returnee's children\n")
    text = " ".join(p.text for p in d.passages)
    assert "Other support (specify)" in text and "Housing Health Schooling" in text
    assert "_" not in text and "|" not in text and "☐" not in text


def test_an_evaluation_whose_title_does_not_say_so_is_one_by_its_cover():
    body = "The binational committee met every quarter with the border municipalities in 2024."
    cover = "## Évaluation finale indépendante du projet\n\n# Renforcement du dialogue binational\n\n"
    assert document_from_text("ev", cover + body).doc_type == "evaluation"
    inception = "# Renforcement du dialogue binational\n\nRapport initial d'évaluation\n\n"
    assert document_from_text("ev2", inception + body).doc_type == "evaluation"
    # a project that only plans an evaluation in its text is not one
    plan = "# Renforcement du dialogue binational\n\n" + body + " A final evaluation will follow."
    assert document_from_text("p", plan).doc_type != "evaluation"
