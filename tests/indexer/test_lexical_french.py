"""French passages are stemmed in French too (in their own token namespace)."""

from __future__ import annotations

from indexer.highlight import highlight
from indexer.lexical import LexicalIndex, tokenize

FR = "Les services sociaux nationaux ont accueilli les familles rapatriées."
EN = "National social services welcomed returning families."


def test_french_passages_match_french_inflections():
    index = LexicalIndex.build([FR, FR, EN], ["fr", "en", "en"])
    scores = index.scores("politique sociale nationale d'accueil")
    assert scores[0] > 0  # sociaux/sociale, nationaux/nationale, accueilli/accueil: French stems
    assert scores[1] == 0  # the same words in a passage not marked French: no French stems
    assert scores[0] > scores[1]


def test_english_and_spanish_tokens_are_unchanged():
    assert not any(t.startswith("fr:") for t in tokenize(EN))
    assert tokenize("trata de personas") == [t for t in tokenize("trata de personas", french=True)
                                             if not t.startswith("fr:")]


def test_highlight_marks_french_inflections_in_french_passages():
    marked = highlight(FR, "protection sociale nationale", "fr")
    assert "<mark>sociaux</mark>" in marked and "<mark>nationaux</mark>" in marked
    assert "<mark>" not in highlight(FR, "protection sociale nationale", "en")
