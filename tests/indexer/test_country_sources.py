"""Country filters use where a practice takes place (explicit + primary) by default;
country_sources widens them to every country named. Years filter by publication."""

from __future__ import annotations

import dataclasses

import pytest

from corpus.types import Countries
from indexer.build import build_index_from_documents
from indexer.filters import parse_filters
from indexer.search import SearchIndex
from indexer.types import SearchError
from tests.fakes import FakeEncoder
from tests.indexer.conftest import make_doc

TEXT = "return and reintegration of migrants in border districts"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    docs = [
        # takes place in Ethiopia; names Kenya in an annex
        dataclasses.replace(make_doc(0, [TEXT], objectives=(21,), years=(2017, 2018, 2019), doc_type="evaluation"),
                            countries=Countries(primary=("ET",), mentioned=("KE",)), published="2023-03-17"),
        # a field says Kenya
        dataclasses.replace(make_doc(1, [TEXT], objectives=(21,), years=(2021,)), countries=Countries(explicit=("KE",), primary=("KE",))),
        # only mentions Ethiopia
        dataclasses.replace(make_doc(2, [TEXT], objectives=(21,), years=(2010, 2011)),
                            countries=Countries(mentioned=("ET",)), published="2012"),
    ]
    d = tmp_path_factory.mktemp("cs") / "index"
    enc = FakeEncoder()
    build_index_from_documents(docs, d, embedder=enc)
    return SearchIndex.open(d, enc)


def _ids(index, **filters):
    out = index.search(TEXT, k=10, filters=parse_filters(**filters))
    return sorted(h.doc_id for h in out.hits)


def test_default_country_filter_is_where_the_practice_takes_place(index):
    assert _ids(index, country="ET") == ["d000"]
    assert _ids(index, country="KE") == ["d001"]


def test_country_sources_mentioned_widens_the_filter(index):
    assert _ids(index, country="ET", country_sources="explicit,primary,mentioned") == ["d000", "d002"]
    assert _ids(index, country="KE", country_sources=["explicit"]) == ["d001"]
    with pytest.raises(SearchError) as e:
        parse_filters(country_sources="annex")
    assert e.value.param == "country_sources" and "primary" in e.value.message


def test_facets_and_gapmap_count_the_same_sources_as_the_filter(index):
    f = index.facets(TEXT)
    assert f.countries == {"ET": 1, "KE": 1}
    wide = index.facets(TEXT, parse_filters(country_sources="explicit,primary,mentioned"))
    assert wide.countries == {"ET": 2, "KE": 2}
    row = index.gapmap(TEXT)["rows"][20]
    assert row["objective"] == 21 and row["counts"]["ET"] == 1 and row["doc_ids"]["ET"] == ["d000"]
    wide_row = index.gapmap(TEXT, parse_filters(country_sources="mentioned,primary"))["rows"][20]
    assert wide_row["doc_ids"]["ET"] == ["d000", "d002"]


def test_year_filter_uses_the_publication_year_where_known(index):
    # d000 covers 2017-2019 but was published in 2023; d001 has no publication date
    assert _ids(index, year_from=2023) == ["d000"]
    assert _ids(index, year_from=2018, year_to=2019) == []
    assert _ids(index, year_to=2012) == ["d002"]
    assert index.facets(TEXT).years == {2012: 1, 2021: 1, 2023: 1}


def test_hits_carry_published_and_default_countries(index):
    out = index.search(TEXT, k=10)
    hit = next(h for h in out.hits if h.doc_id == "d000")
    assert hit.published == "2023-03-17" and hit.countries == ["ET"]
    wide = index.search(TEXT, k=10, filters=parse_filters(country_sources="explicit,primary,mentioned"))
    assert next(h for h in wide.hits if h.doc_id == "d000").countries == ["ET", "KE"]
