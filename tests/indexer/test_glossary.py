"""The glossary's cross-language expansion of the lexical query (indexer.glossary)."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from indexer.glossary import _PATH, LANGS, _content_words, expansion, find_concepts
from indexer.lexical import LexicalIndex
from indexer.ranking import HybridParams
from indexer.search import SearchIndex
from tests.fakes import FakeEncoder
from tests.indexer.conftest import make_doc


def _concept_terms(text: str) -> set[str]:
    """The English head terms of the concepts found in `text`."""
    concepts = json.loads(_PATH.read_text(encoding="utf-8"))["concepts"]
    return {concepts[c]["en"][0] for c, _lang, _n in find_concepts(text)}


def test_every_concept_has_two_languages_and_no_term_means_two_concepts():
    concepts = json.loads(_PATH.read_text(encoding="utf-8"))["concepts"]
    assert len(concepts) >= 100
    for c in concepts:
        assert sum(1 for lang in LANGS if c.get(lang)) >= 2, c
    for lang in LANGS:
        terms = Counter(t for c in concepts for t in {" ".join(_content_words(x)) for x in c.get(lang, ())})
        assert not [t for t, n in terms.items() if n > 1], lang  # an ambiguous term would expand to both


@pytest.mark.parametrize(
    "text, concept",
    [("¿Qué se sabe de la trata de personas en Malí?", "human trafficking"),
     ("víctimas de la trata", "victims of trafficking"),  # an article between the words, a plural
     ("las comunidades afectadas", "affected populations"),
     ("la rendición de cuentas", "accountability"),
     ("migrantes retornadas", "returnees"),  # another inflection than the glossary's
     ("la traite des êtres humains", "human trafficking"),
     ("Accountability to Affected Populations", "accountability to affected populations"),  # the longest term
     ("What did the border guards report?", "border officials")],
)
def test_terms_are_found_in_any_language_and_inflection(text, concept):
    assert concept in _concept_terms(text)


@pytest.mark.parametrize(
    "text",
    ["¿De qué se trata el proyecto?",  # "trata" alone is a verb here
     "What problems did the evaluators find?",  # "find" shares the stem of "findings", not the word
     "When did the Normans conquer England?"],
)
def test_no_concept_where_the_words_only_look_alike(text):
    assert find_concepts(text) == []
    assert expansion(text) == ""


def test_expansion_adds_the_other_languages_closest_terms_and_not_the_query_words():
    extra = expansion("¿Qué lecciones dejó la reintegración de migrantes retornados?").split()
    assert {"returned", "migrants"} <= set(extra)  # two words for two words, not "returnees"
    assert "returnees" not in extra
    assert "reintegracion" not in extra and "retornados" not in extra  # the query's own words
    assert "accountability" in expansion("rendición de cuentas").split()
    assert "rendicion" in expansion("accountability").split()


def test_bm25_finds_the_other_language_by_the_glossary_and_leaves_one_language_alone():
    texts = ["The evaluation reviewed accountability to affected populations in the camps.",
             "Accountability mechanisms were weak, the evaluation found.",
             "Rainfall and crop yields in the highlands."]
    index = LexicalIndex.build(texts, ["en"] * 3)
    query = "rendición de cuentas a las poblaciones afectadas"
    assert not index.scores(query).any()  # no shared word: BM25 alone is blind across languages
    expanded = index.query(query, expansion=expansion(query))
    assert expanded.at(np.arange(3))[:2].min() > 0 and expanded.at(np.arange(3))[2] == 0
    # an English query over English passages scores the same with its expansion (other languages' words)
    english = "accountability to affected populations"
    np.testing.assert_allclose(index.query(english, expansion=expansion(english)).at(np.arange(3)),
                               index.scores(english))


def test_search_ranks_and_marks_the_answer_in_the_other_language(tmp_path):
    from indexer.build import build_index_from_documents

    docs = [make_doc(0, ["Communities took part in accountability to affected populations through complaint desks."]),
            make_doc(1, ["Crop yields and rainfall in the highlands were recorded each season."]),
            make_doc(2, ["Los agricultores registraron las lluvias de cada temporada."], lang="es")]
    build_index_from_documents(docs, tmp_path / "ix", embedder=FakeEncoder())
    query = "rendición de cuentas a las poblaciones afectadas"
    on = SearchIndex.open(tmp_path / "ix", FakeEncoder())
    off = SearchIndex.open(tmp_path / "ix", FakeEncoder(), hybrid=HybridParams(glossary=False))
    got = on.search(query, mode="bm25", k=3)
    assert [h.doc_id for h in got.hits] == ["d000"] and got.matched_documents == 1
    assert "<mark>accountability</mark>" in got.hits[0].passages[0].highlighted
    assert off.search(query, mode="bm25", k=3).hits == []
    # hybrid: the glossary's words add to the answer's fused score (the fake encoder's dense half is noise)
    score = {name: {h.doc_id: h.score for h in ix.search(query, k=3).hits} for name, ix in (("on", on), ("off", off))}
    assert score["on"]["d000"] > score["off"]["d000"]
    assert score["on"]["d001"] <= score["off"]["d001"]


def test_language_votes_count_terms_of_one_language_alone():
    from indexer.glossary import language_votes

    assert language_votes("apoyo psicosocial a retornados").get("es", 0) >= 1
    assert set(language_votes("apoyo psicosocial a retornados")) == {"es"}
    assert language_votes("migrants") == {}  # the English and the French term are one word
    assert language_votes("football world cup") == {}
