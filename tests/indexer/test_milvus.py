"""The milvus backend beyond the shared contract: filters as Milvus expressions select the
store's rows, versions are collections behind an alias, re-index reuses vectors from
Milvus, credentials never reach a file. On a real Milvus Lite gRPC server."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from indexer.backends.milvus import MilvusUnavailable, connect, index_alias
from indexer.backends.milvus.fields import expression, tag_value
from indexer.backends.milvus.versions import alias_target
from indexer.build import build_index_from_documents, resolve_index_dir
from indexer.filters import parse_filters
from indexer.search import SearchIndex
from tests.fakes import FakeEncoder
from tests.indexer.conftest import make_doc, synthetic_documents


def _build(docs, d, server, enc=None, settings=None):
    enc = enc or FakeEncoder()
    report = build_index_from_documents(docs, d, embedder=enc, backend="milvus", milvus_uri=server.uri,
                                        settings=settings)
    return report, enc


def _collection(index_dir) -> str:
    return json.loads((resolve_index_dir(index_dir) / "vectors" / "backend.json").read_text())["collection"]


FILTERS = [
    {"country": "PE"},
    {"country": ["PE", "MX"], "country_sources": "mentioned"},
    {"country": "CL", "country_sources": "explicit,primary,mentioned"},
    {"objective": [3, 10]},
    {"objective": 7, "objective_sources": "inferred"},
    {"objective": 7, "objective_sources": "explicit,suggested"},
    {"year_from": 2019},
    {"year_to": 2017},
    {"year_from": 2016, "year_to": 2018},
    {"doc_type": "practice"},
    {"lang": "es"},
    {"section": ["lessons", "context"]},
    {"country": "EC", "lang": "en", "section": "summary", "year_from": 2015},
]


def test_filter_expressions_select_exactly_the_store_rows(milvus_server, tmp_path):
    """Every filter kind, alone and combined: the rows the Milvus expression selects are
    the rows MetadataStore.row_mask selects."""
    docs = synthetic_documents(40)
    docs[5] = make_doc(5, ["quoted \"type\" text"], doc_type='Evaluación "final"', countries=("PE",),
                       inferred=(7,), years=())
    docs[6] = make_doc(6, ["mentioned only"], countries=(), objectives=(), inferred=(7,))
    # LIKE's wildcards in a value match only themselves: "_" is not any character
    docs[7] = make_doc(7, ["underscored type"], doc_type="policy_brief")
    docs[8] = make_doc(8, ["spaced type"], doc_type="policy brief")
    _build(docs, tmp_path / "ix", milvus_server)
    ix = SearchIndex.open(tmp_path / "ix", FakeEncoder())
    client, coll = ix._state.vectors.client, ix._state.vectors.collection
    store = ix._state.store
    cases = [*FILTERS, {"doc_type": 'evaluación "final"'}, {"doc_type": "policy_brief"}, {"doc_type": "policy%"},
             *(dict(a, **b) for a, b in itertools.combinations(FILTERS[:6], 2))]
    for raw in cases:
        f = parse_filters(**raw)
        got = sorted(int(r["row"]) for r in client.query(coll, filter=expression(f), output_fields=["row"], limit=16384))
        want = np.flatnonzero(store.row_mask(f)).tolist()
        assert got == want, raw
    # a document left out (similar practices)
    got = {int(r["row"]) for r in client.query(coll, filter=expression(None, exclude_doc=3), output_fields=["row"], limit=16384)}
    assert got == set(range(store.n_rows)) - set(store.rows_of_doc(3).tolist())
    assert tag_value('a_b%"c') == "a~5fb~25~22c" and tag_value("é") == "~c3~a9"


def test_same_dense_top_10_as_flat_and_k_under_filters(milvus_server, tmp_path, synth_docs):
    enc = FakeEncoder()
    build_index_from_documents(synth_docs, tmp_path / "flat", embedder=enc)
    _build(synth_docs, tmp_path / "mv", milvus_server, enc)
    flat, mv = SearchIndex.open(tmp_path / "flat", enc), SearchIndex.open(tmp_path / "mv", enc)
    for q in ("child trafficking borders", "remesas inclusión financiera", "climate displacement"):
        for raw in ({}, {"country": "PE"}, {"objective": 5}, {"lang": "es", "section": "lessons"}):
            f = parse_filters(**raw) if raw else None
            a = flat.search(q, f, mode="dense", k=10, group=False)
            b = mv.search(q, f, mode="dense", k=10, group=False)
            assert [round(p.score, 5) for p in b.passages] == [round(p.score, 5) for p in a.passages], (q, raw)
            n_allowed = int(flat._state.store.row_mask(f).sum()) if f else flat._state.store.n_rows
            assert len(b.passages) == min(10, n_allowed)
    sim_a, sim_b = flat.similar("d004", k=5), mv.similar("d004", k=5)
    assert [round(h.score, 5) for h in sim_b.hits] == [round(h.score, 5) for h in sim_a.hits]
    assert "d004" not in [h.doc_id for h in sim_b.hits]
    assert mv.stats()["backend"] == "milvus" and mv._state.vectors.memory_bytes() == 0


def test_versions_are_collections_behind_one_alias(milvus_server, tmp_path, synth_docs):
    """Each build writes a collection, then switches the alias to it; the one that served
    before is kept (as the previous version folder is), older ones are dropped; a re-index
    takes its unchanged vectors from Milvus and embeds only new text."""
    d = tmp_path / "ix"
    r1, _ = _build(synth_docs[:30], d, milvus_server)
    c1 = _collection(d)
    client = connect(milvus_server.uri)
    alias = index_alias(d)
    assert alias_target(client, alias) == c1
    assert not (resolve_index_dir(d) / "vectors" / "vectors.npy").exists(), "the vectors live in Milvus only"
    enc = FakeEncoder()
    r2, _ = _build(synth_docs[:31], d, milvus_server, enc)
    c2 = _collection(d)
    assert c2 != c1 and alias_target(client, alias) == c2
    assert r2.reused == r1.passages and r2.embedded == len(synth_docs[30].passages)
    r3, _ = _build(synth_docs[:32], d, milvus_server)
    c3 = _collection(d)
    mine = sorted(n for n in client.list_collections() if n.startswith(alias + "__"))
    assert mine == sorted([c2, c3]), "the serving and the previous collection stay, older ones go"
    ix = SearchIndex.open(d, FakeEncoder())
    assert ix.stats()["documents"] == 32 and ix._state.vectors.count == r3.passages


def test_credentials_come_from_settings_and_are_never_written(milvus_server, tmp_path, synth_docs):
    from practice_search.config import Settings

    settings = Settings(milvus_token="root:Milvus-secret-7", home=tmp_path / "home")
    _build(synth_docs[:5], tmp_path / "ix", milvus_server, settings=settings)
    version = resolve_index_dir(tmp_path / "ix")
    for f in version.rglob("*.json"):
        assert "Milvus-secret-7" not in f.read_text(), f
    with pytest.raises(ValueError, match="PRACTICE_SEARCH_MILVUS_TOKEN"):
        build_index_from_documents(synth_docs[:5], tmp_path / "ix2", embedder=FakeEncoder(), backend="milvus",
                                   milvus_uri="http://root:pw@127.0.0.1:19530")
    with pytest.raises(ValueError, match="needs a Milvus URI"):
        build_index_from_documents(synth_docs[:5], tmp_path / "ix3", embedder=FakeEncoder(), backend="milvus",
                                   settings=Settings(home=tmp_path / "home"))


def test_a_dropped_collection_or_unreachable_milvus_says_what_to_do(milvus_server, tmp_path, synth_docs):
    d = tmp_path / "ix"
    _build(synth_docs[:5], d, milvus_server)
    connect(milvus_server.uri).drop_collection(_collection(d))
    with pytest.raises(MilvusUnavailable, match="build the index again"):
        SearchIndex.open(d, FakeEncoder())
    with pytest.raises(MilvusUnavailable, match="127.0.0.1:9"):
        build_index_from_documents(synth_docs[:5], tmp_path / "ix2", embedder=FakeEncoder(), backend="milvus",
                                   milvus_uri="http://127.0.0.1:9")


@pytest.mark.slow
def test_seeds_dev_queries_give_flat_s_top_10_on_milvus(milvus_server, seeds_dir, tmp_path, real_embedder):
    """Every seeds dev query (with its filters), dense mode, real model: Milvus returns
    the same top 10 passages as FAISS flat, k whenever k match."""
    from eval.query_sets import load_queries
    from eval.runner import build_filters
    from indexer.build import build_index
    from tests.conftest import REPO

    build_index(seeds_dir, tmp_path / "flat", embedder=real_embedder)
    build_index(seeds_dir, tmp_path / "mv", embedder=real_embedder, backend="milvus", milvus_uri=milvus_server.uri)
    flat, mv = SearchIndex.open(tmp_path / "flat", real_embedder), SearchIndex.open(tmp_path / "mv", real_embedder)
    queries = load_queries(REPO / "eval" / "queries" / "seeds_dev.jsonl")
    assert len(queries) >= 50
    for q in queries:
        f = build_filters(q)
        a = flat.search(q.text, f, mode="dense", k=10, group=False).passages
        b = mv.search(q.text, f, mode="dense", k=10, group=False).passages
        assert [p.passage_id for p in b] == [p.passage_id for p in a], q.id
        n = flat._state.store.n_rows if f is None else int(flat._state.store.row_mask(f).sum())
        assert len(b) == min(10, n), q.id


def test_an_index_of_the_older_row_layout_asks_for_a_rebuild(milvus_server, tmp_path, synth_docs):
    """backend.json without the schema version (built before the tag-string layout): opening
    it names what to do rather than failing on the first search."""
    _build(synth_docs[:10], tmp_path / "ix", milvus_server)
    meta_path = resolve_index_dir(tmp_path / "ix") / "vectors" / "backend.json"
    meta = json.loads(meta_path.read_text())
    assert meta["schema"] == 2
    del meta["schema"]
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(MilvusUnavailable, match="schema 1.*build the index again"):
        SearchIndex.open(tmp_path / "ix", FakeEncoder())
