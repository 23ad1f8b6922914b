"""Browsing without a query: the filtered documents in a chosen order, with stable totals."""

from __future__ import annotations

from dataclasses import replace

import pytest

from indexer.build import build_index_from_documents
from indexer.filters import parse_filters
from indexer.search import SearchIndex
from indexer.types import SearchError
from tests.fakes import FakeEncoder
from tests.indexer.conftest import make_doc


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory):
    docs = [
        replace(make_doc(1, ["Context of the practice.", "Summary of the practice."],
                         sections=["context", "summary"], countries=("PE",)), title="beta", published="2021-03"),
        replace(make_doc(2, ["A text."], countries=("PE",), years=(2019, 2024)), title="Alpha"),
        replace(make_doc(3, ["Another text."], countries=("CO",)), title="gamma", published="2023-01-15"),
        replace(make_doc(4, ["Undated text."], countries=("PE",), years=()), title="delta"),
    ]
    d = tmp_path_factory.mktemp("browse") / "index"
    enc = FakeEncoder()
    build_index_from_documents(docs, d, embedder=enc)
    return SearchIndex.open(d, enc)


def test_newest_first_undated_last(dated_index):
    r = dated_index.browse()
    # published dates first, else the last year the text covers; undated last
    assert [h.title for h in r.hits] == ["Alpha", "gamma", "beta", "delta"]
    assert r.mode == "browse" and r.matched_documents == 4 and r.matched_passages == 5


def test_title_order_and_the_summary_shown_first(dated_index):
    r = dated_index.browse(sort="title")
    assert [h.title for h in r.hits] == ["Alpha", "beta", "delta", "gamma"]
    assert r.hits[1].passages[0].section_kind == "summary"


def test_filters_and_paging_keep_the_totals(dated_index):
    f = parse_filters(country="PE")
    first, second = dated_index.browse(f, k=2), dated_index.browse(f, k=2, offset=2)
    assert first.matched_documents == second.matched_documents == 3
    assert [h.title for h in first.hits + second.hits] == ["Alpha", "beta", "delta"]
    assert dated_index.facets(None, f).matched_documents == 3


def test_bad_sort_and_k(dated_index):
    with pytest.raises(SearchError) as e:
        dated_index.browse(sort="relevance")
    assert e.value.param == "sort"
    with pytest.raises(SearchError):
        dated_index.browse(k=0)
