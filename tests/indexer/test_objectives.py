"""GCM objectives inferred at index time with the real model: per passage and per document,
confident ones counted by default and marked, low-confidence ones opt-in, tagged ones kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corpus.document import document_from_text
from corpus.types import Document, InferredObjective, Objectives
from indexer.build import build_index_from_documents
from indexer.filters import parse_filters
from indexer.objectives import CONFIDENT, infer_documents, model_for
from indexer.search import SearchIndex
from indexer.store import MetadataStore

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "real-reports" / "files"

REINTEGRATION = {
    "en": "Returnees received reintegration grants, business training and psychosocial counselling "
    "after their assisted voluntary return to their communities of origin.",
    "es": "Las personas retornadas recibieron apoyo para su reintegración económica y psicosocial "
    "tras el retorno voluntario asistido a sus comunidades de origen.",
    "fr": "Les migrants de retour ont bénéficié d'une aide à la réintégration économique et "
    "psychosociale après leur retour volontaire assisté dans leur communauté d'origine.",
}

METHOD = [
    "The evaluation team held 42 key informant interviews and reviewed the project documents, "
    "the logical framework and the monitoring reports between March and May.",
    "Limitations of the evaluation include the short time in the field, the turnover of staff and "
    "the absence of baseline values for several indicators of the results framework.",
    "The budget was spent at a rate of 87 per cent by the end of the project; delays in "
    "procurement postponed the start of two activities by one quarter.",
    "Recommendations are addressed to the project management and the donor, with a timeline "
    "and the unit responsible for each of them.",
]


def _infer(docs: list[Document], embedder) -> list[Document]:
    store = MetadataStore(docs)
    vecs = embedder.embed_passages([store.embed_text(r) for r in range(store.n_rows)])
    return infer_documents(store.documents, vecs, store.row_doc, model_for(embedder))


def test_a_passage_about_reintegration_is_placed_under_21_in_three_languages(real_embedder):
    docs = [document_from_text(f"r-{lg}", text, meta={"title": ""}) for lg, text in REINTEGRATION.items()]
    for d in _infer(docs, real_embedder):
        top = d.objectives.inferred[0]
        assert (top.number, top.confident) == (21, True), (d.id, d.objectives.inferred)
        assert top.score >= CONFIDENT
        assert [o.number for o in d.passages[0].objectives] == [21]


def test_a_section_about_reintegration_places_a_broad_report_under_21(real_embedder):
    """Passages of method and budget say nothing of an objective; a section of four
    passages about reintegration is enough to place the report, and those passages say why."""
    section = [REINTEGRATION["en"].replace("Returnees", f"In district {i}, returnees") for i in range(16)]
    method = [f"In phase {i}, {m[0].lower()}{m[1:]}" for i in range(20) for m in METHOD]
    body = "\n\n".join(["# Methodology", *method, "# Reintegration support", *section])
    (doc,) = _infer([document_from_text("broad", body, meta={"title": "Final evaluation"})], real_embedder)
    placed = {o.number: o for o in doc.objectives.inferred if o.confident}
    about = sum(21 in {o.number for o in p.objectives} for p in doc.passages)
    assert about >= 3 and about / len(doc.passages) < 0.25  # a section, not most of the report
    assert 21 in placed
    about_21 = [p for p in doc.passages if 21 in {o.number for o in p.objectives}]
    assert about_21 and all("eintegration" in p.text for p in about_21)
    assert not any(o.confident for p in doc.passages if "interviews" in p.text for o in p.objectives)


def test_off_topic_text_gets_no_default_placement(real_embedder):
    text = ("The home side won the cup final two goals to one after extra time, and the captain "
            "lifted the trophy in front of a full stadium on a rainy Sunday evening.")
    (doc,) = _infer([document_from_text("sport", text, meta={"title": ""})], real_embedder)
    assert not any(o.confident for o in doc.objectives.inferred), doc.objectives.inferred


def test_tagged_objectives_are_kept_and_not_inferred_again(real_embedder):
    text = "GCM objectives: 21\n\n" + REINTEGRATION["en"]
    (doc,) = _infer([document_from_text("tagged", text, meta={"title": ""})], real_embedder)
    assert doc.objectives.explicit == (21,)
    assert 21 not in {o.number for o in doc.objectives.inferred}


def test_sources_inferred_and_suggested():
    o = Objectives(explicit=(6,), inferred=(InferredObjective(21, 0.93, True), InferredObjective(7, 0.2)))
    assert o.numbers(("explicit", "mentioned")) == (6,)
    assert o.numbers(("explicit", "mentioned", "inferred")) == (6, 21)
    assert o.numbers(("suggested",)) == (7,)
    assert [x.number for x in o.inferred_only(("explicit", "inferred", "suggested"))] == [21, 7]
    # an old index's inferences (no level) read back as low-confidence suggestions
    assert InferredObjective.from_dict({"number": 3, "score": 1.0}) == InferredObjective(3, 1.0, False)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/real-reports absent")
def test_filtering_objective_21_finds_the_untagged_reintegration_reports(tmp_path, real_embedder):
    """No real report is tagged with an objective; by default, objective 21 still finds the
    Horn of Africa return and reintegration evaluation's files (marked as inferred), and
    not the binational dialogue or the accountability evaluation; tagged-only finds none."""
    from corpus.ingest import load_corpus

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    names = {
        "Evaluation Learning Brief_Final_Olta NDOJA.pdf": True,
        "Abridged Evaluation Report_ Final_Olta NDOJA.pdf": True,
        "CS1137-CS1138_Evaluation Brief_Javier SANCHEZ MARTI.pdf": False,
        "AAP_EN_Evaluation Brief_final_0.pdf": False,
    }
    for name in names:
        shutil.copy(SHARED / name, corpus / name)
    build_index_from_documents(load_corpus(corpus).documents, tmp_path / "index", embedder=real_embedder)
    ix = SearchIndex.open(tmp_path / "index", real_embedder)
    res = ix.search("reintegration of returnees", parse_filters(objective=21), k=10)
    found = {h.doc_id for h in res.hits}
    assert found == {Path(n).stem for n, reint in names.items() if reint}
    for h in res.hits:  # placed by inference alone, and said so
        assert 21 in h.objectives and any(o["number"] == 21 and o["source"] == "inferred" for o in h.inferred)
    facets = ix.facets(None)
    assert facets.objectives[21] == facets.objectives_inferred[21] == 2
    tagged_only = parse_filters(objective=21, objective_sources=["explicit", "mentioned"])
    assert ix.search("reintegration of returnees", tagged_only, k=10).hits == []
