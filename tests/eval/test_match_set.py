"""The match-set report (eval.match_set): relevant documents inside, the others (passing the
query's filters) outside, and what queries with no answer still match."""

from __future__ import annotations

from pathlib import Path

from eval.match_set import match_set_quality
from eval.query_sets import Query
from indexer.search import SearchIndex
from indexer.types import Filters
from tests.fakes import FakeEncoder
from tests.service.conftest import build_fake_index


def test_match_set_counts_agree_with_the_documents_the_index_matches(seeds_dir: Path, tmp_path: Path):
    index = SearchIndex.open(build_fake_index(seeds_dir, tmp_path / "index"), FakeEncoder())
    all_ids = index.matched_document_ids()
    assert len(all_ids) == 5 and index.matched_document_ids(None, Filters(countries=("PE",))) != all_ids
    relevant = all_ids[0]
    q = Query(id="q", text="trafficking of children", relevant={relevant: 1})
    noise = Query(id="n", text="zzqx wvvq")
    report = match_set_quality(index, [q, noise])
    matched = set(index.matched_document_ids(q.text))
    assert report["relevant_total"] == 1 and report["relevant_inside"] == int(relevant in matched)
    assert report["irrelevant_total"] == 4 and report["irrelevant_outside"] == len(set(all_ids) - matched - {relevant})
    (u,) = report["unjudged"]
    assert u["matched_documents"] == len(index.matched_document_ids(noise.text)) and u["of"] == 5
    assert report["unjudged_matching_nothing"] == int(u["matched_documents"] == 0)
