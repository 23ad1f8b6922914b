"""Similar practices across languages: per-language calibration (fixed vectors) and, with
the real model on the bundled sample corpus, the Spanish Peru and English Nigeria
child-trafficking practices each among the other's similar practices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.backends import NumpyBackend
from indexer.calibration import LanguageCalibration
from tests.conftest import REPO


class _Store:
    def __init__(self, langs: list[str]):
        self.langs = sorted(set(langs))
        self.row_lang = np.array([self.langs.index(lg) for lg in langs], dtype=np.int16)


def _vectors(n_en: int, n_es: int, dim: int = 16, offset: float = 0.5):
    """Unit vectors whose Spanish rows carry a language direction (axis 0)."""
    rng = np.random.default_rng(4)
    v = rng.standard_normal((n_en + n_es, dim)).astype(np.float32) * 0.3
    v[n_en:, 0] += offset
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_calibration_moves_the_other_language_onto_the_query_language_scale():
    v = _vectors(200, 200)
    langs = np.array(["en"] * 200 + ["es"] * 200, dtype=object)
    b = NumpyBackend(v.shape[1])
    b.add(np.arange(len(v)), v)
    cal = LanguageCalibration(_Store(list(langs)), b)
    assert cal.languages == ["en", "es"]
    q = v[3]  # an English query: Spanish rows score lower on average (the language offset)
    raw = v @ q
    out = cal.apply(raw, langs, cal.shifts(q, "en"))
    np.testing.assert_array_equal(out[:200], raw[:200])  # the reference language is unchanged
    gap_raw = raw[:200].mean() - raw[200:].mean()
    gap_out = out[:200].mean() - out[200:].mean()
    assert abs(gap_out) < 0.25 * abs(gap_raw), (gap_raw, gap_out)
    # the order within a language never changes
    assert (np.argsort(out[200:]) == np.argsort(raw[200:])).all()


def test_a_query_language_the_collection_lacks_puts_the_others_on_the_nearest_scale():
    """A Spanish question over English and French reports: French sits nearer the query (a
    language direction shared with it), English lower; both end on one scale."""
    rng = np.random.default_rng(7)
    v = rng.standard_normal((400, 16)).astype(np.float32) * 0.3
    v[200:, 0] += 0.5  # French rows carry the direction the query carries too
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    langs = np.array(["en"] * 200 + ["fr"] * 200, dtype=object)
    b = NumpyBackend(v.shape[1])
    b.add(np.arange(len(v)), v)
    cal = LanguageCalibration(_Store(list(langs)), b)
    q = rng.standard_normal(16).astype(np.float32) * 0.3
    q[0] += 0.5
    q /= np.linalg.norm(q)
    raw = v @ q
    assert raw[200:].mean() > raw[:200].mean() + 0.1  # the bias calibration is for
    for ref in ("es", "und"):
        shift = cal.shifts(q, ref)
        assert set(shift) == {"en"}  # the nearest language (French) is the reference
        out = cal.apply(raw, langs, shift)
        np.testing.assert_array_equal(out[200:], raw[200:])
        assert abs(out[:200].mean() - out[200:].mean()) < 0.25 * (raw[200:].mean() - raw[:200].mean())
        assert (np.argsort(out[:200]) == np.argsort(raw[:200])).all()


def test_one_language_or_a_tiny_one_is_left_alone():
    v = _vectors(100, 5)
    langs = ["en"] * 100 + ["es"] * 5  # 5 Spanish rows: fewer than MIN_ROWS
    b = NumpyBackend(v.shape[1])
    b.add(np.arange(len(v)), v)
    cal = LanguageCalibration(_Store(langs), b)
    assert cal.languages == ["en"]
    raw = v @ v[0]
    np.testing.assert_array_equal(cal.apply(raw, np.array(langs, dtype=object), cal.shifts(v[0], "en")), raw)


@pytest.fixture(scope="module")
def sample_index(real_embedder, tmp_path_factory) -> Path:
    from indexer.build import build_index

    d = tmp_path_factory.mktemp("sample") / "index"
    build_index(REPO / "corpus" / "sample", d, embedder=real_embedder)
    return d


@pytest.mark.slow
def test_similar_practices_come_from_both_languages(sample_index, real_embedder):
    from indexer.search import SearchIndex

    ix = SearchIndex.open(sample_index, real_embedder)
    peru, nigeria = "pe-trata-infantil-alianzas", "ng-child-trafficking-prevention"
    for doc, other in ((peru, nigeria), (nigeria, peru)):
        hits = ix.similar(doc, k=10).hits
        ids = [h.doc_id for h in hits]
        assert other in ids, (doc, ids)
        langs = {lg for h in hits for lg in h.languages}
        assert {"en", "es"} <= langs, (doc, ids)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
