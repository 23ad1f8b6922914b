"""BM25 inside Milvus (indexer.backends.milvus.lexical): each row's BM25 weights in the
collection, scored there, equal to the local index's scores. On a real Milvus Lite server."""

from __future__ import annotations

import json

import numpy as np
import pytest

from indexer.backends import Selection
from indexer.backends.milvus import lexical as mvlex
from indexer.backends.milvus.lexical import MilvusLexical
from indexer.build import MANIFEST, build_index_from_documents, resolve_index_dir
from indexer.filters import parse_filters
from indexer.lexical import LexicalIndex
from indexer.search import SearchIndex
from tests.fakes import FakeEncoder

QUERIES = ["child trafficking borders", "remesas inclusión financiera", "migrantes reintegration", "number 17"]
FILTERS = [{}, {"country": "PE"}, {"lang": "es"}, {"section": "lessons"}, {"objective": "5"}]


@pytest.fixture(scope="module")
def indexes(milvus_server, tmp_path_factory, synth_docs):
    enc = FakeEncoder()
    base = tmp_path_factory.mktemp("mvlex")
    build_index_from_documents(synth_docs, base / "flat", embedder=enc)
    build_index_from_documents(synth_docs, base / "mv", embedder=enc, backend="milvus", milvus_uri=milvus_server.uri)
    return SearchIndex.open(base / "flat", enc), SearchIndex.open(base / "mv", enc)


def _same_ranking(got, want, rtol=1e-5):
    """Same scores in the same order, and the same rows up to the order of rows whose
    scores tie within float rounding (the engine sums a row's weights in its own order)."""
    (gs, gr), (ws, wr) = got, want
    assert len(gr) == len(wr)
    np.testing.assert_allclose(gs, ws, rtol=rtol)
    for i, (a, b) in enumerate(zip(gr.tolist(), wr.tolist(), strict=True)):
        if a != b:
            tied = np.isclose(ws, ws[i], rtol=rtol)  # a tie group; one the cut goes through may hold others
            assert tied.sum() > 1 and (a in wr[tied].tolist() or tied[-1]), i


def _sel(st, raw):
    f = parse_filters(**raw)
    allowed = st.store.allowed_rows(f)
    return allowed, (Selection(f, n_allowed=len(allowed)) if allowed is not None else None)


def test_a_milvus_index_serves_bm25_from_milvus_with_the_vocabulary_only(indexes):
    flat, mv = indexes
    assert isinstance(mv._state.lexical, MilvusLexical)
    assert isinstance(flat._state.lexical, LexicalIndex)
    folder = resolve_index_dir(mv.index_dir) / "lexical"
    assert not list(folder.glob("*.csc.index.npy"))  # no postings on disk or in memory
    assert json.loads((folder.parent / MANIFEST).read_text())["lexical"] == {"scores": "backend"}
    assert mv._state.lexical.vocab == flat._state.lexical.retriever.vocab_dict


def test_scores_and_filtered_top_rows_equal_the_local_index(indexes):
    flat, mv = indexes
    found = 0
    for q in QUERIES:
        for raw in FILTERS:
            allowed, sel = _sel(mv._state, raw)
            want = flat._state.lexical.query(q).top(50, allowed)
            got = mv._state.lexical.query(q, sel).top(50, allowed)
            _same_ranking(got, want)
            found += len(got[1]) > 0
    assert found >= len(QUERIES) * len(FILTERS) // 2  # most pairs match something


def test_the_glossary_expansion_scores_alike_and_leaves_the_word_matches_to_the_query(indexes):
    from indexer.glossary import expansion

    flat, mv = indexes
    q = "trata de niños y reintegración de retornados"
    extra = expansion(q)
    assert "trafficking" in extra.split()
    want = flat._state.lexical.query(q, expansion=extra)
    got = mv._state.lexical.query(q, expansion=extra)
    _same_ranking(got.top(50), want.top(50))
    assert len(want.top(50)[1]) > len(flat._state.lexical.query(q).top(50)[1]) or (
        want.top(50)[0] != flat._state.lexical.query(q).top(50)[0]).any()  # the expansion changed the scores
    rows = np.arange(flat._state.store.n_rows)
    plain = mv._state.lexical.query(q)
    np.testing.assert_allclose(got(rows), plain(rows), rtol=1e-6)  # coverage weighs the query's own words


def test_a_shallow_fetch_goes_deeper_and_scores_other_rows_exactly(indexes, monkeypatch):
    flat, mv = indexes
    monkeypatch.setattr(mvlex, "MATCH_DEPTH", 4)  # many more rows match "migrantes" than 4
    q = "migrantes reintegration number"
    local, remote = flat._state.lexical.query(q), mv._state.lexical.query(q)
    words = remote.words()
    assert words.sum() == 4 and (words <= local.words()).all()  # a lower bound of the word matches
    rows = np.arange(flat._state.store.n_rows)
    np.testing.assert_allclose(remote.at(rows), local.at(rows), rtol=1e-5)  # beyond the top: asked of Milvus
    _same_ranking(remote.top(60), local.top(60))
    # the words a row holds: beyond the first call's holders (4 per word), asked for those rows
    np.testing.assert_allclose(remote(rows), flat._state.lexical.coverage_of(q, rows), rtol=1e-5, atol=1e-7)
    # whole searches still page as the flat backend's; counts never exceed the exact ones
    for mode in ("bm25", "hybrid"):
        a, b = flat.search(q, mode=mode, k=8, group=False), mv.search(q, mode=mode, k=8, group=False)
        assert [p.passage_id for p in b.passages] == [p.passage_id for p in a.passages], mode
        assert b.matched_passages <= a.matched_passages


def test_coverage_of_rows_equals_the_local_index(indexes):
    flat, mv = indexes
    rows = np.arange(0, flat._state.store.n_rows, 3)
    for q in [*QUERIES, "reintegración del niño", "the of and", "xyzzy trafficking"]:
        want = flat._state.lexical.coverage_of(q, rows)
        np.testing.assert_allclose(mv._state.lexical.coverage_of(q, rows), want, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(mv._state.lexical.query(q)(rows), want, rtol=1e-5, atol=1e-7)  # as a search asks
    assert mv._state.lexical.query("the of and").top(5)[1].size == 0  # stopwords only: nothing matches


def test_facets_and_counts_agree_with_the_flat_backend_on_a_small_collection(indexes):
    flat, mv = indexes  # fewer word matches than MATCH_DEPTH: the lower bound is the exact count
    for q in QUERIES:
        fa, fb = flat.facets(q, parse_filters(country="PE")), mv.facets(q, parse_filters(country="PE"))
        assert fb.to_dict()["countries"] == fa.to_dict()["countries"], q
        assert mv.search(q, k=3).matched_documents == flat.search(q, k=3).matched_documents, q


def test_an_index_built_before_bm25_moved_into_milvus_scores_locally(milvus_server, tmp_path, synth_docs):
    enc = FakeEncoder()
    docs = synth_docs[:8]
    build_index_from_documents(docs, tmp_path / "mv", embedder=enc, backend="milvus", milvus_uri=milvus_server.uri)
    version = resolve_index_dir(tmp_path / "mv")
    man = json.loads((version / MANIFEST).read_text())
    del man["lexical"]  # as such a build wrote it: no entry, the whole BM25 index on disk
    (version / MANIFEST).write_text(json.dumps(man))
    LexicalIndex.build([p.text for d in docs for p in d.passages], [p.lang for d in docs for p in d.passages]).save(
        version / "lexical")
    ix = SearchIndex.open(tmp_path / "mv", enc)
    assert isinstance(ix._state.lexical, LexicalIndex)
    assert ix.search("trafficking", mode="bm25", k=2).hits
