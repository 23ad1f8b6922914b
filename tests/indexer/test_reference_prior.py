"""Passages in reference lists, notes and acronym lists (section kind "references") rank low."""

from __future__ import annotations

import pytest

from indexer.build import build_index_from_documents
from indexer.search import HybridParams, SearchIndex
from tests.fakes import FakeEncoder
from tests.indexer.conftest import make_doc

QUERY = "case management lessons for returnees"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    docs = [
        # a reference list: the question's words, many times over, in report titles
        make_doc(1, ["IOM (2021). Case management lessons for returnees. IOM (2022). Case management "
                     "lessons for returnees.",
                     "The desks kept case files for returnees and met partners monthly."],
                 sections=["references", "results"]),
        make_doc(2, ["Case management lessons: returnees need one case manager from the first day."],
                 sections=["lessons"]),
        make_doc(3, ["The grants helped households buy seeds and tools in the dry season."],
                 sections=["results"]),
    ]
    d = tmp_path_factory.mktemp("prior") / "index"
    build_index_from_documents(docs, d, embedder=FakeEncoder())
    return d


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_a_reference_list_ranks_below_an_answer(index_dir, mode):
    enc = FakeEncoder()
    plain = SearchIndex.open(index_dir, enc, hybrid=HybridParams(reference_prior=1.0))
    first = plain.search(QUERY, mode=mode, group=False, k=3).passages[0]
    assert first.section_kind == "references"  # what the words alone would put first
    ranked = SearchIndex.open(index_dir, enc).search(QUERY, mode=mode, group=False, k=3).passages
    assert ranked[0].section_kind != "references"
    ref = next(p for p in ranked if p.section_kind == "references")
    assert ref.score == pytest.approx(first.score * HybridParams().reference_prior, rel=1e-5)


def test_a_reference_list_is_still_found_and_filtered_to(index_dir):
    index = SearchIndex.open(index_dir, FakeEncoder())
    from indexer.types import Filters

    hits = index.search(QUERY, Filters(sections=("references",)), group=False, k=5).passages
    assert hits and all(p.section_kind == "references" for p in hits)
