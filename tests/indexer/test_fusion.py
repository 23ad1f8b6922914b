"""Hand-written hybrid fusion checked against ranx.fuse, and language-aware weighting."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.search import detect_query_lang, fuse_wsum


@pytest.mark.slow  # importing ranx JIT-compiles with numba: minutes on 2 cores
def test_fuse_wsum_matches_ranx():
    from ranx import Run, fuse

    rng = np.random.default_rng(0)
    docs = [f"p{i}" for i in range(30)]
    dense = rng.uniform(0.6, 0.9, len(docs))
    lexical = rng.uniform(0.0, 12.0, len(docs))
    w = 0.3
    ours = fuse_wsum(dense, lexical, w)
    runs = [
        Run({"q": {d: float(s) for d, s in zip(docs, dense, strict=True)}}),
        Run({"q": {d: float(s) for d, s in zip(docs, lexical, strict=True)}}),
    ]
    fused = fuse(runs=runs, norm="min-max", method="wsum", params={"weights": [1 - w, w]})
    theirs = np.array([fused["q"][d] for d in docs])
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


def test_cross_language_lexical_factor_leaves_dense_order():
    dense = np.array([0.9, 0.8, 0.7])
    lexical = np.array([0.0, 5.0, 10.0])  # BM25 noise favouring the wrong passages
    fused = fuse_wsum(dense, lexical, 0.5, lexical_factor=np.array([0.0, 0.0, 0.0]))
    assert list(np.argsort(-fused)) == [0, 1, 2]


def test_detect_query_lang():
    assert detect_query_lang("¿Qué prácticas combaten la trata?") == "es"
    assert detect_query_lang("What practices fight trafficking in Peru?") == "en"
    assert detect_query_lang("Perú") == "es"
    assert detect_query_lang("remittances") == "en"  # a glossary term of English alone
    assert detect_query_lang("apoyo psicosocial a retornados") == "es"  # no function word, no accent
    assert detect_query_lang("Quelles leçons sur la réintégration des migrants ?") == "fr"
    assert detect_query_lang("después") == "es"  # an acute accent alone stays Spanish
    assert detect_query_lang("migrants") == "und"  # English and French alike
    assert detect_query_lang("Niger AVRR 2019") == "und"


def test_damped_lexical_weight_goes_back_to_dense():
    """A passage in the other language keeps weights that sum to 1: with the lexical part
    damped to 0 it is ranked by its full dense score, not by (1 - w) of it."""
    dense = np.array([0.9, 0.6, 0.8])
    lexical = np.array([10.0, 0.0, 10.0])
    fused = fuse_wsum(dense, lexical, 0.3, lexical_factor=np.array([1.0, 1.0, 0.0]))
    # row 0: 0.7 * 1.0 + 0.3 * 1.0; row 2 (damped): 1.0 * norm(0.8) = 2/3; row 1: 0
    np.testing.assert_allclose(fused, [1.0, 0.0, 2 / 3])
