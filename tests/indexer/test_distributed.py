"""Indexing on a real local Ray (ray.init(num_cpus=2)): files read and chunked by Ray
tasks, passages embedded by an actor pool, the same index as a plain build; a restarted
job embeds only what the cache does not hold; Ray feeding the Milvus backend."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.backends import VectorBackend
from indexer.build import build_index, resolve_index_dir
from indexer.distributed import RayOptions, embed_on_ray
from indexer.search import SearchIndex
from indexer.store import MetadataStore
from practice_search.config import Settings
from tests.conftest import REPO
from tests.fakes import FakeEncoder

FAKE = "tests.fakes:FakeEncoder"


@pytest.fixture(scope="module")
def local_ray():
    import ray

    from indexer.distributed import init_local

    init_local(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING",
               runtime_env={"env_vars": {"PRACTICE_SEARCH_TEST_ENCODER": FAKE, "PYTHONPATH": str(REPO)}})
    yield ray
    ray.shutdown()


def _vectors(index_dir):
    version = resolve_index_dir(index_dir)
    store = MetadataStore.load(version / "store")
    vb = VectorBackend.load(version / "vectors")
    return store, vb.vectors(np.arange(store.n_rows))


def test_ray_build_equals_the_plain_build(local_ray, seeds_dir, tmp_path):
    plain_settings = Settings(home=tmp_path / "plain-home")
    build_index(seeds_dir, tmp_path / "plain", embedder=FakeEncoder(), settings=plain_settings)
    opts = RayOptions(batch_size=16)
    report = build_index(seeds_dir, tmp_path / "ray", embedder=FakeEncoder(), settings=Settings(home=tmp_path / "h"),
                         ray=opts)
    stats = report.extra["ray"]
    assert stats["files_read_on_ray"] == 5 and stats["actors"] == 2
    assert stats["embedded_on_ray"] == report.passages and stats["from_cache"] == 0
    (s1, v1), (s2, v2) = _vectors(tmp_path / "plain"), _vectors(tmp_path / "ray")
    assert s1.passage_ids == s2.passage_ids and s1.hashes == s2.hashes
    assert [d.title for d in s1.documents] == [d.title for d in s2.documents]
    np.testing.assert_allclose(v1, v2, atol=1e-6)
    a = SearchIndex.open(tmp_path / "plain", FakeEncoder()).search("trata de personas", k=5)
    b = SearchIndex.open(tmp_path / "ray", FakeEncoder()).search("trata de personas", k=5)
    assert [h.doc_id for h in a.hits] == [h.doc_id for h in b.hits]


def test_a_restarted_job_embeds_only_what_is_missing(local_ray, seeds_dir, tmp_path):
    """A job stopped after committing part of its vectors: the next one sends only the
    rest to the actors."""
    settings = Settings(home=tmp_path / "home")
    enc = FakeEncoder()
    from corpus.ingest import load_corpus

    store = MetadataStore(load_corpus(seeds_dir, settings).documents)
    texts = sorted({store.embed_text(r) for r in range(store.n_rows)})
    first = RayOptions()
    embed_on_ray(texts[: len(texts) // 2], enc, settings, first)  # the part a stopped job committed
    assert first.stats["embedded_on_ray"] == len(texts) // 2
    opts = RayOptions()
    report = build_index(seeds_dir, tmp_path / "ix", embedder=enc, settings=settings, ray=opts)
    assert opts.stats["from_cache"] == len(texts) // 2
    assert opts.stats["embedded_on_ray"] == len(texts) - len(texts) // 2
    assert report.embedded == len(texts)  # new to this index, whether from the cache or the actors


def test_ray_writes_into_milvus(local_ray, seeds_dir, tmp_path, milvus_server):
    report = build_index(seeds_dir, tmp_path / "ix", embedder=FakeEncoder(), settings=Settings(home=tmp_path / "h"),
                         backend="milvus", milvus_uri=milvus_server.uri, ray=RayOptions())
    ix = SearchIndex.open(tmp_path / "ix", FakeEncoder())
    assert ix.stats()["backend"] == "milvus" and ix._state.vectors.count == report.passages
    assert ix.search("trafficking", mode="dense", k=3).hits


def test_a_local_ray_that_fails_to_start_is_started_again(monkeypatch):
    """init_local: a failed start is shut down and tried again, up to LOCAL_START_TRIES
    starts in all; the last failure is raised (after its shutdown)."""
    import ray

    from indexer import distributed
    from indexer.distributed import init_local

    calls: list[str] = []

    def failing(times):
        def init(**kwargs):
            calls.append("init")
            if calls.count("init") <= times:
                raise RuntimeError("Timed out waiting for file .../gcs_server_port")
        return init

    monkeypatch.setattr(distributed.time, "sleep", lambda s: calls.append("pause"))
    monkeypatch.setattr(ray, "shutdown", lambda: calls.append("shutdown"))
    monkeypatch.setattr(ray, "init", failing(1))
    init_local(num_cpus=2)
    assert calls == ["init", "shutdown", "pause", "init"]
    calls.clear()
    monkeypatch.setattr(ray, "init", failing(distributed.LOCAL_START_TRIES))
    with pytest.raises(RuntimeError, match="gcs_server_port"):
        init_local(num_cpus=2)
    assert calls.count("init") == distributed.LOCAL_START_TRIES == 3
    assert calls[-2:] == ["init", "shutdown"]
