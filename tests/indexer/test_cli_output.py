"""`practice-search search`'s text output: what a person reads in a terminal."""

from __future__ import annotations

import json
import re

import pytest

from indexer.ranking import HybridParams
from indexer.search import SearchIndex
from practice_search.cli import main
from tests.fakes import FakeEncoder


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory, synth_docs):
    from indexer.build import build_index_from_documents

    d = tmp_path_factory.mktemp("cli") / "index"
    build_index_from_documents(synth_docs, d, embedder=FakeEncoder())
    return d


def _run(capsys, monkeypatch, *args: str, dense_floor: float | None = None) -> str:
    real_open = SearchIndex.open.__func__

    def open_(cls, index_dir, embedder=None, **kw):
        return real_open(cls, index_dir, FakeEncoder(), hybrid=HybridParams(dense_floor=dense_floor))

    monkeypatch.setattr(SearchIndex, "open", classmethod(open_))
    assert main(["search", *args]) == 0
    return capsys.readouterr().out


def test_an_empty_match_set_is_said_and_each_hit_marked_nearest(cli_index, capsys, monkeypatch):
    # a floor no dense score reaches and words the index never saw: nothing is relevant
    out = _run(capsys, monkeypatch, "qzxvw plomtk", "--index", str(cli_index), "--k", "3", dense_floor=2.0)
    lines = out.splitlines()
    assert lines[0].startswith("0 matching document(s)")
    assert lines[1] == "no relevant practice; these are the nearest ones:"
    hits = [ln for ln in lines if ln[:1].isdigit() and ". " in ln[:4]]
    assert len(hits) == 3 and all("(nearest, not relevant)" in ln for ln in hits)
    out = _run(capsys, monkeypatch, "qzxvw plomtk", "--index", str(cli_index), "--k", "2", "--passages", dense_floor=2.0)
    assert "no relevant practice" in out and out.count("(nearest, not relevant)") == 2


def test_relevant_hits_are_not_marked_and_inferred_objectives_are(cli_index, capsys, monkeypatch):
    out = _run(capsys, monkeypatch, "remittances financial inclusion", "--index", str(cli_index), "--k", "10", "--json")
    got = json.loads(out)
    assert got["matched_documents"] > 0
    text = _run(capsys, monkeypatch, "remittances financial inclusion", "--index", str(cli_index), "--k", "10")
    assert "no relevant practice" not in text
    heads = [ln for ln in text.splitlines() if ln[:1].isdigit() and ". " in ln[:4]]
    assert len(heads) == len(got["hits"])
    marked = 0
    for head, h in zip(heads, got["hits"], strict=True):
        assert ("(nearest, not relevant)" in head) == (not h["relevant"])
        inferred = {o["number"] for o in h["inferred"]}
        for n in h["objectives"]:
            assert bool(re.search(rf"(?<!\d){n} \(inferred\)", head)) == (n in inferred), (head, h["inferred"])
        marked += len(inferred & set(h["objectives"]))
    assert marked, "the synthetic collection should give some inferred objective to check"
