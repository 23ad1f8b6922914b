"""BM25 scores: the compiled summation path gives bm25s's own get_scores."""

from __future__ import annotations

import numpy as np
import pytest

from indexer import lexical
from indexer.lexical import LexicalIndex, tokenize

TEXTS = [
    "Trafficking in persons: protection of child victims in Peru",
    "Trata de personas: protección de niñas y niños víctimas en el Perú",
    "Labour migration and ethical recruitment of seasonal workers",
    "Remesas e inclusión financiera de personas migrantes",
    "",
    "Border management with a human rights approach",
] * 30


@pytest.mark.parametrize("compiled", [True, False])
def test_scores_equal_bm25s_get_scores(compiled, monkeypatch):
    if compiled and lexical._numba_scorer() is None:
        pytest.fail("numba is a dependency of the install (through ranx); the compiled path must load")
    if not compiled:
        monkeypatch.setattr(lexical, "_numba_scorer", lambda: None)
    ix = LexicalIndex.build(TEXTS)
    for q in ("trata de niños", "trafficking children Peru", "remittances", "zzzz unknown", "protección fronteras"):
        got = ix.scores(q)
        toks = [t for t in dict.fromkeys(tokenize(q)) if t in ix.retriever.vocab_dict]
        want = np.asarray(ix.retriever.get_scores(toks), dtype=np.float32) if toks else np.zeros(len(TEXTS), np.float32)
        assert got.shape == (len(TEXTS),) and got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert ix.scores("trata de niños")[1] > 0 and ix.scores("trata de niños")[2] == 0


def test_coverage_is_the_share_of_the_query_idf_a_row_holds():
    texts = ["The final evaluation of the programme", "Football world cup final in the stadium",
             "A world of migrants", "Seasonal workers and recruitment"] * 5
    ix = LexicalIndex.build(texts)
    cov = ix.coverage("football world cup final")
    assert cov.shape == (len(texts),) and cov.dtype == np.float32
    assert cov[1] == pytest.approx(1.0)  # every query word is there
    assert 0 < cov[0] < 0.5 and 0 < cov[2] < 0.5  # one common word of four
    assert cov[3] == 0
    # a word the index never saw weighs as much as the rarest: it lowers every row's share
    assert ix.coverage("football world cup final xyzzy")[1] < 1.0
    assert not ix.coverage("").any() and not LexicalIndex.build([]).coverage("final").any()


def test_coverage_compiled_and_numpy_paths_agree(monkeypatch):
    ix = LexicalIndex.build(TEXTS)
    # words with one stem, with two (Spanish and English differ), repeated words, French
    queries = ("trata de niñas en el Perú", "trafficking children Peru remittances", "zzzz", "workers workers",
               "protección protection recruitment")
    compiled = [ix.coverage(q) for q in queries]
    if lexical._coverage_kernel() is None:
        pytest.fail("numba is a dependency of the install: the compiled coverage must load")
    monkeypatch.setattr(lexical, "_coverage_kernel", lambda: None)
    for q, c in zip(queries, compiled, strict=True):
        np.testing.assert_allclose(ix.coverage(q), c, rtol=1e-6)
    assert compiled[0][1] == pytest.approx(1.0) and compiled[0][0] < 1.0  # the Spanish row holds every word


def test_coverage_of_some_rows_equals_the_whole_array_either_way():
    ix = LexicalIndex.build(TEXTS)
    for q in ("trata de niñas en el Perú", "trafficking children Peru remittances", "zzzz"):
        whole = ix.coverage(q)
        for rows in (np.array([1, 7, 13], dtype=np.int64), np.arange(len(TEXTS)), np.array([], dtype=np.int64)):
            np.testing.assert_allclose(ix.coverage_of(q, rows), whole[rows], rtol=1e-6)

