"""Passages held by the engine: a Milvus index's serving process holds no passage and
answers as the flat backend does (indexer.passages). On a real Milvus Lite gRPC server."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from corpus.types import InferredObjective, Passage
from indexer.backends.milvus.fields import PASSAGE_LENGTH, passage_fields, passage_of
from indexer.build import MANIFEST, build_index_from_documents, resolve_index_dir
from indexer.filters import parse_filters
from indexer.passages import BackendPassages
from indexer.search import SearchIndex
from indexer.types import EngineUnavailable
from tests.fakes import FakeEncoder
from tests.indexer.conftest import make_doc

QUERIES = ["child trafficking borders", "remesas inclusión financiera", "reintegration of returnees"]
FILTERS = [{}, {"country": "PE"}, {"lang": "es"}, {"section": "lessons"}]


def _page(resp) -> list:
    """What a page shows, less the timings, whether counts are exact (Milvus is an
    approximate engine) and scores (engines round them apart)."""
    d = resp.to_dict()
    d.pop("timing_ms", None)
    d.pop("counts_exact", None)
    for h in d["hits"]:
        h.pop("score")
        for p in h["passages"]:
            p.pop("score")
    for p in d["passages"]:
        p.pop("score")
    return d


@pytest.fixture(scope="module")
def two_indexes(milvus_server, tmp_path_factory, synth_docs):
    docs = list(synth_docs)
    # text beyond ASCII, quotes and a section label as written
    docs[3] = replace(make_doc(3, ["Niñas «retornadas» a Perú: \"protección\" y reintegración", "second passage"],
                               countries=("PE",), lang="es", sections=["lessons", "context"]))
    enc = FakeEncoder()
    base = tmp_path_factory.mktemp("passages")
    build_index_from_documents(docs, base / "flat", embedder=enc)
    build_index_from_documents(docs, base / "mv", embedder=enc, backend="milvus", milvus_uri=milvus_server.uri)
    store_dir = resolve_index_dir(base / "mv") / "store"
    # a serving process never reads the full documents: take them away
    (store_dir / "documents.jsonl").unlink()
    (store_dir / "rows.json").unlink()
    return SearchIndex.open(base / "flat", enc), SearchIndex.open(base / "mv", enc)


def test_a_milvus_serving_store_holds_no_passage(two_indexes):
    flat, mv = two_indexes
    store = mv._state.store
    assert isinstance(store.passages, BackendPassages)
    assert store.passage_ids is None and store.hashes is None
    assert all(d.passages == () for d in store.documents)
    assert store.n_rows == flat._state.store.n_rows
    assert (store.row_doc == flat._state.store.row_doc).all()
    assert (store.row_lang == flat._state.store.row_lang).all()
    assert (store.row_section == flat._state.store.row_section).all()
    assert isinstance(flat._state.store.passages, list)


def test_pages_documents_and_similar_are_the_flat_backend_s(two_indexes):
    flat, mv = two_indexes
    for q in QUERIES:
        for raw in FILTERS:
            f = parse_filters(**raw)
            for mode in ("dense", "bm25", "hybrid"):
                for group in (True, False):
                    a = flat.search(q, f, mode=mode, k=5, group=group)
                    b = mv.search(q, f, mode=mode, k=5, group=group)
                    assert _page(b) == _page(a), (q, raw, mode, group)
    for raw in FILTERS:
        f = parse_filters(**raw)
        assert _page(mv.browse(f, k=4, passages_per_doc=2)) == _page(flat.browse(f, k=4, passages_per_doc=2))
    for doc_id in ("d003", "d010"):
        assert mv.document(doc_id).to_dict() == flat.document(doc_id).to_dict()
        assert _page(mv.similar(doc_id, k=4)) == _page(flat.similar(doc_id, k=4))
    p = mv.document("d003").passages[0]
    assert p.text.startswith("Niñas «retornadas»") and p.section_kind == "lessons" and p.lang == "es"


def test_an_index_built_before_passages_moved_loads_them_whole(milvus_server, tmp_path, synth_docs):
    enc = FakeEncoder()
    build_index_from_documents(synth_docs[:6], tmp_path / "mv", embedder=enc, backend="milvus",
                               milvus_uri=milvus_server.uri)
    man_path = resolve_index_dir(tmp_path / "mv") / MANIFEST
    man = json.loads(man_path.read_text())
    assert man["store"] == {"passages": "backend"}
    del man["store"]
    man_path.write_text(json.dumps(man))
    ix = SearchIndex.open(tmp_path / "mv", enc)
    assert isinstance(ix._state.store.passages, list)
    assert ix.search("trafficking", k=2).hits


class _Backend:
    """Holds passages for rows 0..n-1 except `missing`; counts its calls."""

    name = "fake"

    def __init__(self, n: int, missing=()):
        self.n, self.missing, self.calls = n, set(missing), []

    def passage_records(self, ids):
        self.calls.append(list(ids))
        return {r: {"row": r, "text": f"text {r}"} for r in ids if r not in self.missing}

    @staticmethod
    def to_passage(rec, doc_ids):
        return Passage(id=f"{doc_ids[0]}#{rec['row']}", doc_id=doc_ids[0], ordinal=rec["row"], text=rec["text"])


def test_backend_passages_fetch_a_page_once_and_keep_recent_ones():
    be = _Backend(100)
    ps = BackendPassages(be, ["d0"], 100, cache_rows=5)
    assert [p.text for p in ps.get_many([7, 3, 7])] == ["text 7", "text 3", "text 7"]
    assert be.calls == [[3, 7]]  # one call, each row once
    ps.get_many([3, 7, 9])
    assert be.calls[-1] == [9]  # only what was not kept
    ps.get_many([10, 11, 12, 13])  # more rows than the cache keeps: the oldest go
    ps.get_many([3])
    assert be.calls[-1] == [3]
    assert ps[12].text == "text 12" and len(ps) == 100
    with pytest.raises(IndexError):
        ps.get_many([100])
    with pytest.raises(EngineUnavailable, match="build the index again"):
        BackendPassages(_Backend(10, missing={4}), ["d0"], 10).get_many([3, 4])


def test_passage_fields_round_trip_and_stay_within_milvus_bounds():
    p = Passage(id="doc/a#2", doc_id="doc/a", ordinal=2, text='Niñas y niños "migrantes"\n' * 10,
                section="Lecciones aprendidas", section_kind="lessons", lang="es",
                objectives=(InferredObjective(10, 0.9123, True),))
    back = passage_of(passage_fields(p), "doc/a")
    assert back == p
    assert passage_of(passage_fields(replace(p, objectives=())), "doc/a").objectives == ()
    # a text past the field's bound is cut to fit, escapes included, on a character boundary
    long = replace(p, text='ñ"' * 30_000)  # 90,000 bytes of UTF-8, 120,000 as JSON
    rec = passage_fields(long)
    assert len(rec["passage"].encode("utf-8")) <= PASSAGE_LENGTH
    text = passage_of(rec, "doc/a").text
    assert long.text.startswith(text) and len(text) > 30_000
