"""The match set's shared work: facets of a query under a filter take every list's dense
candidates from one graph search where the backend post-filters."""

from __future__ import annotations

import pytest

from indexer.backends import base
from indexer.filters import parse_filters
from indexer.search import SearchIndex
from tests.fakes import FakeEncoder

QUERY = "remittances financial inclusion"


@pytest.fixture()
def hnsw_index(tmp_path, synth_docs, monkeypatch):
    from indexer.build import build_index_from_documents

    enc = FakeEncoder()
    build_index_from_documents(synth_docs, tmp_path / "ix", embedder=enc, backend="hnsw")
    # a small index: make every filter go the post-filtered way, as a broad one does at scale
    monkeypatch.setattr(base, "EXACT_MAX_ROWS", 10)
    monkeypatch.setattr(base, "EXACT_MAX_FRACTION", 0.0)
    return SearchIndex.open(tmp_path / "ix", enc)


def _count_searches(ix, monkeypatch) -> list:
    calls: list = []
    real = type(ix._state.vectors).search

    def counted(self, q, k, allowed_ids=None, **kw):
        calls.append(None if allowed_ids is None else len(allowed_ids))
        return real(self, q, k, allowed_ids, **kw)

    monkeypatch.setattr(type(ix._state.vectors), "search", counted)
    return calls


@pytest.mark.parametrize("filters", [{"objective": 10}, {"country": "PE"}, {"objective": 10, "lang": "es"}])
def test_facets_under_a_filter_make_one_graph_search(hnsw_index, monkeypatch, filters):
    """Every list's match set is cut from one unfiltered graph search, except a set so
    small that it is scored exactly (objective 10 in Spanish: 8 rows here)."""
    f = parse_filters(**filters)
    want_total = hnsw_index.search(QUERY, f, k=10).matched_documents
    want_open = hnsw_index.facets(QUERY).objectives  # counted over the unfiltered match set alone
    calls = _count_searches(hnsw_index, monkeypatch)
    facets = hnsw_index.facets(QUERY, f)
    n_allowed = len(hnsw_index._state.store.allowed_rows(f))
    if n_allowed <= base.EXACT_MAX_ROWS:
        assert calls == [n_allowed, None], "the small set exactly, one graph search for the rest"
    else:
        assert calls == [None], "one unfiltered graph search serves every list"
    # the chosen filters' match set is what the search under them counts
    assert facets.matched_documents == want_total > 0
    # a list counted without its own filter (here the unfiltered match set, cut from the
    # same search) counts what that match set computed alone counts
    if set(filters) == {"objective"}:
        assert facets.objectives == want_open


def test_facets_without_a_filter_or_on_an_exact_scan_share_nothing(hnsw_index, monkeypatch):
    calls = _count_searches(hnsw_index, monkeypatch)
    hnsw_index.facets(QUERY)
    assert calls == [None]
    monkeypatch.setattr(base, "EXACT_MAX_FRACTION", 1.0)  # every filter scored exactly
    calls.clear()
    hnsw_index.facets(QUERY, parse_filters(objective=10))
    assert len(calls) == 2 and calls[0] is not None, "the exact filtered set, then the unfiltered one"
