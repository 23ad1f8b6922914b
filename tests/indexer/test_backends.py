"""One contract every vector backend passes: add, search, filter, delete, save, reload."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.backends import BACKENDS, NumpyBackend, make_backend
from indexer.backends import base as backends
from indexer.backends import hnsw as hnsw_backend


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return _unit(rng, 3000, 32), _unit(rng, 5, 32)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_backend_contract(name, data, tmp_path, monkeypatch, request):
    """Milvus runs it against a Milvus Lite gRPC server, the client path of a cluster."""
    opts = {"uri": request.getfixturevalue("milvus_server").uri} if name == "milvus" else {}
    _contract(make_backend(name, 32, **opts), data, tmp_path, monkeypatch)


def test_backend_contract_milvus_lite_file(data, tmp_path, monkeypatch):
    """The same contract on a Milvus Lite file opened in this process."""
    _contract(make_backend("milvus", 32, uri=str(tmp_path / "lite.db")), data, tmp_path, monkeypatch)


def _contract(b, data, tmp_path, monkeypatch):
    name = b.name
    vecs, queries = data
    ref = NumpyBackend(32)
    ref.add(np.arange(len(vecs)), vecs)
    b.add(np.arange(len(vecs)), vecs)
    assert b.count == len(vecs)

    # unfiltered: same top-1 as the exact reference, k results
    s, i = b.search(queries, 10)
    rs, ri = ref.search(queries, 10)
    assert i.shape == (5, 10) and (i >= 0).all()
    assert (i[:, 0] == ri[:, 0]).all()
    np.testing.assert_allclose(s[:, 0], rs[:, 0], rtol=1e-5)

    # filtered, both the exact path (small set) and the engine's filtered search (large set)
    for allowed in (np.arange(0, 3000, 97), np.arange(0, 3000, 2)):
        monkeypatch.setattr(backends, "EXACT_MAX_ROWS", 10)
        monkeypatch.setattr(backends, "EXACT_MAX_FRACTION", 0.0)
        s, i = b.search(queries, 10, allowed_ids=allowed)
        assert (i >= 0).all(), "a filtered query must return k when k rows are allowed"
        assert np.isin(i, allowed).all()
        rs, ri = ref.search(queries, 10, allowed_ids=allowed)
        assert (i[:, 0] == ri[:, 0]).all()
    # fewer allowed than k: all of them, then padding
    s, i = b.search(queries[:1], 10, allowed_ids=[3, 4, 5])
    assert sorted(i[0, :3]) == [3, 4, 5] and (i[0, 3:] == -1).all()

    # delete: gone from results and from the count
    top = int(b.search(queries[:1], 1)[1][0, 0])
    b.delete([top, 1, 2])
    assert b.count == len(vecs) - 3
    s, i = b.search(queries[:1], 50)
    assert top not in i[0] and 1 not in i[0]
    s, i = b.search(queries[:1], 5, allowed_ids=[top, 1, 2, 7])
    assert list(i[0]) == [7, -1, -1, -1, -1]

    # save, reload: same answers
    before = b.search(queries, 10, allowed_ids=np.arange(0, 3000, 3))
    b.save(tmp_path / name)
    c = backends.VectorBackend.load(tmp_path / name)
    assert type(c) is type(b) and c.count == b.count
    after = c.search(queries, 10, allowed_ids=np.arange(0, 3000, 3))
    np.testing.assert_array_equal(before[1], after[1])
    np.testing.assert_allclose(c.vectors([5]), vecs[[5]])


def test_backend_rejects_bad_input():
    b = make_backend("flat", 4)
    with pytest.raises(ValueError):
        b.add([0], np.ones((1, 3), np.float32))
    b.add([0], np.ones((1, 4), np.float32) / 2)
    with pytest.raises(ValueError):
        b.add([0], np.ones((1, 4), np.float32) / 2)
    with pytest.raises(ValueError):
        make_backend("annoy", 4)


@pytest.mark.parametrize("name", ["hnsw", "hnsw-sq8"])
def test_hnsw_filter_paths_and_re_added_rows(monkeypatch, name):
    """HNSW under a filter: the unfiltered-search-then-keep path (wide filters), the
    filtered walk it falls back to, and rows deleted then added again with new vectors."""
    rng = np.random.default_rng(1)
    vecs, queries = _unit(rng, 4000, 16), _unit(rng, 20, 16)
    b, ref = make_backend(name, 16), NumpyBackend(16)
    for x in (b, ref):
        x.add(np.arange(4000), vecs)
    monkeypatch.setattr(backends, "EXACT_MAX_ROWS", 10)
    monkeypatch.setattr(backends, "EXACT_MAX_FRACTION", 0.0)
    calls = {"unfiltered": 0, "walk": 0}
    real_walk = type(b)._walk

    def walk(self, q, k, allowed):
        calls["walk" if allowed is not None else "unfiltered"] += 1
        return real_walk(self, q, k, allowed)

    monkeypatch.setattr(type(b), "_walk", walk)
    allowed = np.arange(0, 4000, 5)  # 20%: post-filtered
    s, i = b.search(queries, 10, allowed_ids=allowed)
    rs, ri = ref.search(queries, 10, allowed_ids=allowed)
    assert np.isin(i, allowed).all() and (i >= 0).all()
    assert np.mean([len(set(a) & set(r)) / 10 for a, r in zip(i, ri, strict=True)]) >= 0.9
    assert (np.diff(s, axis=1) <= 1e-6).all(), "best first"
    assert calls["walk"] == 0, "a 20% filter needs no filtered walk"

    # too few allowed rows among the oversampled neighbours: the filtered walk takes over
    # (hnsw-sq8 asks for `rerank` candidates: as few as k here, so that it can come short)
    monkeypatch.setattr(b, "rerank", 10, raising=False)
    monkeypatch.setattr(hnsw_backend, "POSTFILTER_OVERSAMPLE", 0.05)
    s, i = b.search(queries, 10, allowed_ids=allowed)
    assert calls["walk"] >= 1 and np.isin(i, allowed).all() and (i >= 0).all()
    monkeypatch.setattr(hnsw_backend, "POSTFILTER_OVERSAMPLE", 3.0)

    # delete rows and add them back with other vectors: the old graph nodes never return
    moved = np.arange(0, 4000, 10)
    new = _unit(rng, len(moved), 16)
    for x in (b, ref):
        x.delete(moved)
        x.add(moved, new)
    q = new[:3]  # queries equal to the new vectors of rows 0, 10, 20
    for allowed in (None, np.arange(0, 4000, 2)):
        s, i = b.search(q, 5, allowed_ids=allowed)
        assert list(i[:, 0]) == [0, 10, 20]
        np.testing.assert_allclose(s[:, 0], 1.0, atol=1e-5)
        assert len(set(i[0])) == 5, "a row appears once, not once per graph node"


@pytest.mark.parametrize("name", ["flat", "hnsw"])
def test_vectors_held_once(name, tmp_path):
    """Flat and HNSW keep no second copy of the vectors beside FAISS's own storage,
    after building and after loading; the exact paths read FAISS's storage."""
    rng = np.random.default_rng(2)
    n, dim = 2000, 384
    vecs = _unit(rng, n, dim)
    b = make_backend(name, dim)
    b.add(np.arange(n), vecs)
    b.save(tmp_path / name)
    c = backends.VectorBackend.load(tmp_path / name)
    one_copy = n * dim * 4
    for x in (b, c):
        assert one_copy <= x.memory_bytes() < 1.4 * one_copy, x.memory_bytes() / one_copy
        np.testing.assert_allclose(x.vectors([7, 1999]), vecs[[7, 1999]])
        np.testing.assert_allclose(x.scores_all(vecs[3])[:10], vecs[:10] @ vecs[3], rtol=1e-5, atol=1e-6)
    assert not (tmp_path / "flat" / "faiss.index").exists() if name == "flat" else True


def test_sq8_holds_codes_in_memory_and_rescores_from_the_mapped_vectors(tmp_path):
    """hnsw-sq8: once saved and loaded, the full vectors are a memory map of vectors.npy
    (not counted, not copied), the codes and graph take under 40% of a float32 copy, and
    scores are exact inner products: re-scored from the full vectors, not the codes."""
    rng = np.random.default_rng(3)
    n, dim = 3000, 384
    vecs, queries = _unit(rng, n, dim), _unit(rng, 8, dim)
    b = make_backend("hnsw-sq8", dim)
    b.add(np.arange(n), vecs)
    b.save(tmp_path / "sq8")
    c = backends.VectorBackend.load(tmp_path / "sq8")
    assert isinstance(c._mat, np.memmap)
    assert c.memory_bytes() < 0.4 * n * dim * 4, c.memory_bytes() / (n * dim)
    s, i = c.search(queries, 10)
    np.testing.assert_allclose(s, np.einsum("qd,qkd->qk", queries, vecs[i]), rtol=1e-5, atol=1e-6)
    ref = NumpyBackend(dim)
    ref.add(np.arange(n), vecs)
    _, ri = ref.search(queries, 10)
    assert np.mean([len(set(a) & set(r)) / 10 for a, r in zip(i, ri, strict=True)]) >= 0.95
    # adding to a loaded index copies the map first: the saved file is never written
    before = np.load(tmp_path / "sq8" / "vectors.npy")
    c.add([n], _unit(rng, 1, dim))
    np.testing.assert_array_equal(np.load(tmp_path / "sq8" / "vectors.npy"), before)
    assert c.count == n + 1


def test_flat_slots_grow_and_absent_slots_never_returned():
    """Row ids added out of order and with gaps: the gap slots (zero vectors in FAISS's
    storage) are never returned, even when every present row scores below zero."""
    b = make_backend("flat", 4)
    b.add([5, 2], -np.eye(4, dtype=np.float32)[:2])
    b.add([9], -np.eye(4, dtype=np.float32)[2:3])
    s, i = b.search(np.eye(4, dtype=np.float32)[:1], 5)
    assert sorted(i[0, :3].tolist()) == [2, 5, 9] and (i[0, 3:] == -1).all()
    assert (s[0, :3] <= 0).all()
    np.testing.assert_allclose(b.vectors([9]), -np.eye(4, dtype=np.float32)[2:3])


def test_min_results_skips_completing_a_filtered_search(monkeypatch):
    """search(k, allowed, min_results=m): an HNSW post-filtered search that found at least
    m allowed rows is returned as is (no filtered walk, no exact scoring); without
    min_results the same search is completed to k."""
    rng = np.random.default_rng(3)
    vecs, q = _unit(rng, 5000, 16), _unit(rng, 1, 16)
    b = make_backend("hnsw", 16)
    b.add(np.arange(5000), vecs)
    monkeypatch.setattr(backends, "EXACT_MAX_ROWS", 10)
    monkeypatch.setattr(backends, "EXACT_MAX_FRACTION", 0.0)
    monkeypatch.setattr(hnsw_backend, "POSTFILTER_MAX_K", 400)
    allowed = np.arange(0, 5000, 10)  # 10%: ~40 allowed among 400 unfiltered neighbours
    walks = []
    real_walk = type(b)._walk
    monkeypatch.setattr(type(b), "_walk", lambda self, *a: walks.append(1) or real_walk(self, *a))
    s, i = b.search(q, 200, allowed_ids=allowed, min_results=20)
    found = i[0][i[0] >= 0]
    assert 20 <= len(found) < 200 and not walks
    assert np.isin(found, allowed).all() and (np.diff(s[0][: len(found)]) <= 1e-6).all()
    s, i = b.search(q, 200, allowed_ids=allowed)
    assert (i[0] >= 0).all() and walks, "without min_results the search is completed to k"
