"""The SearchIndex facade with a fake encoder: modes, filters, grouping, validation."""

from __future__ import annotations

import pytest

from indexer.filters import parse_filters
from indexer.search import SearchIndex
from indexer.types import DEFAULT_OBJECTIVE_SOURCES, SearchError, UnknownDocument
from tests.fakes import FakeEncoder
from tests.indexer.conftest import backend_options


@pytest.fixture(scope="module", params=["flat", "milvus"])
def synth_index(request, tmp_path_factory, synth_docs):
    """The facade's tests run on FAISS flat and on Milvus (a Milvus Lite server), so the
    two never drift."""
    from indexer.build import build_index_from_documents

    d = tmp_path_factory.mktemp("ix") / "index"
    enc = FakeEncoder()
    build_index_from_documents(synth_docs, d, embedder=enc, backend=request.param,
                               **backend_options(request, request.param))
    return SearchIndex.open(d, enc), d


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_modes_find_the_topic(synth_index, mode):
    ix, _ = synth_index
    r = ix.search("remittances financial inclusion", mode=mode, k=5)
    assert len(r.hits) == 5
    # the English passage, or its Spanish twin: the collection's word translations let the
    # English question's words meet Spanish passages too (indexer.translations)
    assert r.hits[0].passages[0].text.startswith(("remittances", "remesas"))
    assert [h.rank for h in r.hits] == [1, 2, 3, 4, 5]
    assert r.matched_documents >= 5 and r.matched_passages >= r.matched_documents
    assert set(r.timing_ms) >= {"embed", "search", "total"}
    assert len({h.doc_id for h in r.hits}) == 5


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_filtered_query_never_leaks_and_returns_k(synth_index, synth_docs, mode):
    ix, _ = synth_index
    f = parse_filters(country="Perú", section="lessons", year_from=2015, year_to=2024)
    allowed_docs = {d.id for d in synth_docs if "PE" in d.countries.explicit}
    # a query about another topic: BM25 only matches "number" / "lessons" words
    r = ix.search("lessons number", f, mode=mode, k=8)
    assert len(r.hits) == 8, "k documents pass the filter, so k must come back"
    for h in r.hits:
        assert h.doc_id in allowed_docs
        assert all(p.section_kind == "lessons" for p in h.passages)
    r = ix.search("lessons number", f, mode=mode, k=20, group=False)
    assert len(r.passages) == len(allowed_docs)  # one lessons passage per allowed doc, 10 < 20
    assert r.filters["country"] == ["PE"] and r.filters["section"] == ["lessons"]


def test_country_spellings_agree(synth_index):
    ix, _ = synth_index
    ids = [
        [h.doc_id for h in ix.search("migrants", parse_filters(country=c), k=10).hits]
        for c in ("Perú", "PE", "peru")
    ]
    assert ids[0] == ids[1] == ids[2] and ids[0]


def test_bad_filters_raise_search_error():
    for kwargs, param in [
        ({"country": "Narnia"}, "country"),
        ({"objective": 0}, "objective"),
        ({"objective": "24"}, "objective"),
        ({"objective": "x"}, "objective"),
        ({"section": "appendix"}, "section"),
        ({"lang": "spanish"}, "lang"),
        ({"year_from": 2020, "year_to": 2010}, "year_from"),
        ({"objective_sources": "guessed"}, "objective_sources"),
    ]:
        with pytest.raises(SearchError) as e:
            parse_filters(**kwargs)
        assert e.value.param == param


def test_validation(synth_index):
    ix, _ = synth_index
    for kwargs, param in [
        ({"query": ""}, "query"),
        ({"query": "x" * 5000}, "query"),
        ({"query": "migrants", "k": 0}, "k"),
        ({"query": "migrants", "k": 10_000}, "k"),
        ({"query": "migrants", "offset": -1}, "offset"),
        ({"query": "migrants", "mode": "magic"}, "mode"),
    ]:
        q = kwargs.pop("query")
        with pytest.raises(SearchError) as e:
            ix.search(q, **kwargs)
        assert e.value.param == param


def test_offset_pages_do_not_overlap(synth_index):
    ix, _ = synth_index
    a = ix.search("migrants", k=5)
    b = ix.search("migrants", k=5, offset=5)
    assert not {h.doc_id for h in a.hits} & {h.doc_id for h in b.hits}
    assert b.hits[0].rank == 6


def test_highlight_marks_stemmed_accent_folded_words(synth_index):
    ix, _ = synth_index
    r = ix.search("niño proteccion", parse_filters(lang="es"), mode="bm25", k=1)
    hl = r.hits[0].passages[0].highlighted
    assert "<mark>niños</mark>" in hl and "<mark>protección</mark>" in hl


def test_similar_excludes_itself(synth_index):
    ix, _ = synth_index
    r = ix.similar("d000", k=5)
    ids = [h.doc_id for h in r.hits]
    assert "d000" not in ids and len(ids) == 5
    assert ids[0] == "d010"  # same topic, same language
    with pytest.raises(UnknownDocument):
        ix.similar("nope")
    with pytest.raises(UnknownDocument):
        ix.document("nope")
    assert ix.document("d001").id == "d001"


def test_facets_count_the_whole_match_set(synth_index, synth_docs):
    ix, _ = synth_index
    f = ix.facets(None, parse_filters(country="PE"))
    assert f.matched_documents == 10
    # disjunctive: the country list is counted without the country filter (what choosing
    # each country gives), every other list under it
    assert f.countries == ix.facets(None).countries and f.countries["PE"] == 10
    assert sum(f.languages.values()) == 10
    assert f.sections == {"summary": 10, "context": 10, "activities": 10, "lessons": 10}
    q = ix.facets("remittances")
    assert 0 < q.matched_documents < len(synth_docs)


def test_a_dense_floor_empties_the_match_set_but_still_shows_the_nearest(synth_index):
    """Below the floor nothing matches densely: a query with no lexical match then counts
    zero on every page, and its hits are the nearest ones, marked not relevant."""
    from indexer.search import HybridParams

    _, d = synth_index
    ix = SearchIndex.open(d, FakeEncoder(), hybrid=HybridParams(dense_floor=1.01))
    for offset in (0, 3):
        r = ix.search("zzqx wvvq", k=3, offset=offset)
        assert (r.matched_documents, r.matched_passages) == (0, 0)
        assert len(r.hits) == 3 and not any(h.relevant or any(p.relevant for p in h.passages) for h in r.hits)
    assert ix.facets("zzqx wvvq").matched_documents == 0
    lexical = ix.search("remittances", k=3)  # BM25 matches still count
    assert lexical.matched_documents > 0 and all(h.relevant for h in lexical.hits)
    no_floor = SearchIndex.open(d, FakeEncoder(), hybrid=HybridParams(dense_floor=float("-inf")))
    assert no_floor.search("zzqx wvvq", k=3).matched_documents > 0


def test_every_facet_count_is_what_its_filter_gives(synth_index):
    """Under a chosen filter, each value's count equals the matched documents of the search
    with that value chosen (in place of the chosen one in its own list)."""
    ix, _ = synth_index
    chosen = {"objective": 5}
    for query in (None, "remittances"):
        f = ix.facets(query, parse_filters(**chosen))
        for param, counts in (("country", f.countries), ("lang", f.languages), ("section", f.sections)):
            for value, n in counts.items():
                got = ix.facets(query, parse_filters(**chosen, **{param: value})).matched_documents
                assert got == n, (query, param, value)
        for value, n in ix.facets(query, parse_filters(country="PE")).objectives.items():
            assert ix.facets(query, parse_filters(country="PE", objective=value)).matched_documents == n


def test_unknown_language_or_doc_type_is_refused_with_the_known_ones(synth_index):
    ix, _ = synth_index
    for kwargs, param in (({"lang": "fr"}, "lang"), ({"doc_type": "memo"}, "doc_type")):
        with pytest.raises(SearchError) as e:
            ix.search("migrants", parse_filters(**kwargs))
        assert e.value.param == param and "it holds" in e.value.message
    assert "en, es" in str(pytest.raises(SearchError, ix.browse, parse_filters(lang="fr")).value)


def test_gapmap_all_objectives_and_zero_cells(synth_index, synth_docs):
    ix, _ = synth_index
    g = ix.gapmap(objective_sources=("explicit", "mentioned"))
    assert [r["objective"] for r in g["rows"]] == list(range(1, 24))
    total = sum(sum(r["counts"].values()) for r in g["rows"])
    assert total == len(synth_docs)  # one tagged objective and one country per document
    assert not any(r["inferred_counts"] for r in g["rows"])
    # the default sources add the confident inferences, and count them apart
    gd = ix.gapmap()
    for r, rd in zip(g["rows"], gd["rows"], strict=True):
        for c in gd["columns"]:
            assert rd["counts"][c] - r["counts"][c] == rd["inferred_counts"].get(c, 0)
        assert rd["documents"] - r["documents"] == rd["inferred_documents"]
    d0 = synth_docs[0]  # objective 1, PE
    assert g["rows"][0]["counts"]["PE"] >= 1
    assert d0.id in g["rows"][0]["doc_ids"]["PE"]
    for r in g["rows"]:  # the ids of a cell are exactly as many as its count; empty cells have none
        assert {c: len(ids) for c, ids in r["doc_ids"].items()} == {
            c: n for c, n in r["counts"].items() if n
        }
    assert any(v == 0 for r in g["rows"] for v in r["counts"].values())
    assert d0.countries.explicit == ("PE",)
    reg = ix.gapmap(by_region=True)
    assert reg["columns"] and sum(reg["matrix"][0]) >= 1


def test_model_mismatch_is_refused(synth_index):
    _, d = synth_index
    other = FakeEncoder(dim=64)
    other.model_id = "another-model"
    with pytest.raises(ValueError, match="built with model"):
        SearchIndex.open(d, other)


def test_stats_and_manifest(synth_index, synth_docs):
    ix, _ = synth_index
    s = ix.stats()
    assert s["documents"] == len(synth_docs) and s["passages"] == 4 * len(synth_docs)
    m = ix.manifest
    assert m["model"]["id"] == "fake-hashed-bow" and m["model"]["dim"] == 256
    assert {"faiss", "bm25s", "numpy", "python"} <= set(m["versions"])


@pytest.mark.parametrize("backend", ["hnsw", "hnsw-sq8", "ivf", "milvus"])
def test_approximate_backend_never_scans_every_row(
    tmp_path, synth_docs, flat_index, backend, monkeypatch, request
):
    """With hnsw/ivf the facade takes the dense match set from the approximate candidates
    (flagged counts_exact=False) instead of scoring every row; on this small index the
    approximate results equal the exact ones."""
    from indexer.build import build_index_from_documents

    enc = FakeEncoder()
    build_index_from_documents(synth_docs, tmp_path / "ix", embedder=enc, backend=backend,
                               **backend_options(request, backend))
    ix = SearchIndex.open(tmp_path / "ix", enc)
    exact = flat_index
    assert ix.stats()["backend"] == backend

    def no_full_scan(*_a, **_k):
        raise AssertionError("scores_all called on an approximate backend")

    monkeypatch.setattr(type(ix._state.vectors), "scores_all", no_full_scan)
    f = parse_filters(country="PE")
    for mode in ("hybrid", "dense"):
        for filters in (None, f):
            got = ix.search("remittances financial inclusion", filters, mode=mode, k=5)
            want = exact.search("remittances financial inclusion", filters, mode=mode, k=5)
            assert got.counts_exact is False and want.counts_exact is True
            # the fake encoder ties many documents: compare the scores, not the tie order
            assert [round(h.score, 5) for h in got.hits] == [round(h.score, 5) for h in want.hits]
            assert 0 < got.matched_passages <= want.matched_passages
            assert got.to_dict()["counts_exact"] is False
    assert ix.search("remittances", mode="bm25", k=3).counts_exact is True
    facets = ix.facets("remittances financial inclusion")
    assert (
        0
        < facets.matched_documents
        <= exact.facets("remittances financial inclusion").matched_documents
    )


@pytest.mark.parametrize("backend", ["hnsw", "hnsw-sq8", "ivf", "milvus"])
def test_approximate_backend_one_vector_search_per_query(tmp_path, synth_docs, backend, monkeypatch, request):
    """The match set's approximate candidates also rank: one vector search per query,
    filtered or not, unless the ranking needs more candidates than they hold."""
    from indexer.build import build_index_from_documents

    enc = FakeEncoder()
    build_index_from_documents(synth_docs, tmp_path / "ix", embedder=enc, backend=backend,
                               **backend_options(request, backend))
    ix = SearchIndex.open(tmp_path / "ix", enc)
    calls = []
    real = type(ix._state.vectors).search

    def counted(self, *a, **k):
        calls.append(k.get("min_results"))
        return real(self, *a, **k)

    monkeypatch.setattr(type(ix._state.vectors), "search", counted)
    for mode in ("hybrid", "dense"):
        for filters in (None, parse_filters(country="PE"), parse_filters(objective=10)):
            calls.clear()
            res = ix.search("remittances financial inclusion", filters, mode=mode, k=5)
            assert len(calls) == 1, (mode, filters, calls)
            assert calls[0] is not None and calls[0] <= ix.hybrid.depth
            assert res.hits


def _facet_values(doc, key: str, sources, spelling: dict[str, str]):
    """What one document adds to facet list `key`."""
    if key == "countries":
        return doc.countries.all()
    if key == "objectives":
        return doc.objectives.numbers(sources)
    if key == "languages":
        return doc.languages
    if key == "doc_types":
        return [spelling[doc.doc_type.lower()]] if doc.doc_type else []
    return set(doc.years)


def test_facets_equal_a_count_over_each_matched_document(tmp_path):
    """The column-sum facets give what counting document by document gives: every
    country, objective, language, doc type (as first written) and year, ordered by count."""
    import dataclasses
    from collections import Counter

    from indexer.build import build_index_from_documents
    from tests.indexer.conftest import synthetic_documents

    types = ["Evaluation", "practice", None, "evaluation", "Lessons"]
    docs = [
        dataclasses.replace(
            d, doc_type=types[i % len(types)], years=tuple(sorted({2015 + i % 10, 2016 + i % 7})),
            languages=("es", "en") if i % 5 == 0 else d.languages,
        )
        for i, d in enumerate(synthetic_documents())
    ]
    enc = FakeEncoder()
    build_index_from_documents(docs, tmp_path / "ix", embedder=enc)
    ix = SearchIndex.open(tmp_path / "ix", enc)
    st = ix._state
    spelling: dict[str, str] = {}  # a doc type counts under its first spelling
    for d in docs:
        if d.doc_type:
            spelling.setdefault(d.doc_type.lower(), d.doc_type)
    for query, filters in ((None, None), ("remittances", None), (None, parse_filters(objective=10)),
                           ("trafficking", parse_filters(country="PE")), ("zzzz", None)):
        f = ix.facets(query, filters)
        matched, _ = ix._match_docs(st, query, filters)
        sources = filters.objective_sources if filters is not None else DEFAULT_OBJECTIVE_SOURCES
        want: dict[str, Counter] = {k: Counter() for k in ("countries", "objectives", "languages", "doc_types", "years")}
        # disjunctive: a list is counted under every filter but its own
        own = {"countries": {"countries": ()}, "objectives": {"objectives": ()}}
        for key in want:
            fk = dataclasses.replace(filters, **own[key]) if filters is not None and key in own else filters
            for d in ix._match_docs(st, query, fk)[0].tolist():
                want[key].update(_facet_values(st.store.documents[d], key, sources, spelling))
        for key, counter in want.items():
            got = getattr(f, key)
            assert got == dict(counter), (key, query)
            if key in ("countries", "languages", "doc_types"):
                assert list(got.values()) == sorted(got.values(), reverse=True), key
        assert list(f.years) == sorted(f.years) and list(f.objectives) == sorted(f.objectives)
        assert f.matched_documents == len(matched)


def test_approximate_grouped_search_still_returns_k_documents(tmp_path, monkeypatch):
    """Documents with many passages each, a filter, and a match set too shallow to hold k
    documents: the grouped search goes deeper (a search of its own) and still returns k."""
    from indexer.build import build_index_from_documents
    from tests.indexer.conftest import make_doc

    docs = [
        make_doc(i, [f"labour migration skills recognition part {j} of document {i}" for j in range(30)],
                 countries=("PE" if i % 2 else "EC",))
        for i in range(24)
    ]
    enc = FakeEncoder()
    build_index_from_documents(docs, tmp_path / "ix", embedder=enc, backend="hnsw")
    ix = SearchIndex.open(tmp_path / "ix", enc)
    monkeypatch.setattr(ix.hybrid, "match_depth", 12)  # the candidates hold ~1 document
    for mode in ("dense", "hybrid"):
        # k=4 documents x 3 passages = the 12 candidates: enough rows, too few documents
        res = ix.search("labour migration skills", parse_filters(country="PE"), mode=mode, k=4)
        assert len({h.doc_id for h in res.hits}) == len(res.hits) == 4, mode


def test_a_common_word_alone_does_not_make_a_match_below_the_dense_floor(synth_index):
    """Hybrid match set: a word match counts when the passage holds most of the query's
    IDF weight, or when its dense score reaches the floor; bm25 mode keeps every word match."""
    from indexer.search import HybridParams

    _, d = synth_index
    strict = SearchIndex.open(d, FakeEncoder(), hybrid=HybridParams(dense_floor=1.01))
    assert strict.search("remittances", k=3).matched_documents > 0  # the whole query is there
    diluted = "remittances qqzzv wwxxk yyvvb"  # one real word among rarer unknown ones
    assert strict.search(diluted, k=3).matched_documents == 0
    assert strict.facets(diluted).matched_documents == 0  # facets use the same rule
    assert strict.search(diluted, k=3, mode="bm25").matched_documents > 0
    loose = SearchIndex.open(d, FakeEncoder(), hybrid=HybridParams(dense_floor=1.01, lexical_coverage=None))
    assert loose.search(diluted, k=3).matched_documents > 0
