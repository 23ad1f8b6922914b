"""The ONNX Runtime query path: same vectors as torch, verified exports, safe fallbacks.

Most tests use a tiny randomly initialised BERT written to a temporary folder (exports in
about a second); the last ones use the real default model."""

from __future__ import annotations

import numpy as np
import pytest

from indexer import onnx_query
from indexer.embedder import Embedder

WORDS = (
    "la de trata migrantes labour inclusion refugees protección consular frontera niñas x".split()
)


def _tiny_st(tmp_path, pooling: str = "mean", extra_dense: bool = False):
    """A sentence-transformers model: 2-layer BERT (hidden 32) + pooling + normalise."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    d = tmp_path / "tiny-bert"
    d.mkdir()
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *WORDS,
        *"abcdefghijklmnopqrstuvwxyz¿?.,",
    ]
    (d / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(d / "vocab.txt")).save_pretrained(str(d))
    import torch

    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(cfg).save_pretrained(str(d))
    mods = [models.Transformer(str(d), max_seq_length=60), models.Pooling(32, pooling_mode=pooling)]
    if extra_dense:
        mods.append(models.Dense(32, 16))
    mods.append(models.Normalize())
    return SentenceTransformer(modules=mods, device="cpu").eval()


QUERIES = [
    "trata de migrantes en la frontera",
    "labour inclusion of refugees",
    "x",
    "protección consular niñas",
]


@pytest.fixture(autouse=True)
def _fp32_graph(monkeypatch):
    """The fp32 graph unless a test asks for another runtime (auto is int8 on VNNI CPUs)."""
    monkeypatch.setenv("PRACTICE_SEARCH_QUERY_RUNTIME", "onnx")


def _torch_only(st, tmp_path, monkeypatch) -> Embedder:
    monkeypatch.setenv("PRACTICE_SEARCH_QUERY_RUNTIME", "torch")
    emb = Embedder(st, "tiny", "c0", cache_dir=tmp_path / "cache-torch")
    assert emb.prepare_queries() == "torch"
    return emb


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_onnx_queries_match_torch(tmp_path, monkeypatch, pooling):
    st = _tiny_st(tmp_path, pooling)
    emb = Embedder(st, "tiny", "c0", cache_dir=tmp_path / "cache")
    assert emb.prepare_queries() == "onnx", emb.query_runtime_note
    got = np.vstack([emb.embed_queries([q]) for q in QUERIES])  # one at a time: the ONNX path
    assert emb.encoded == len(QUERIES)
    ref = _torch_only(st, tmp_path, monkeypatch).embed_queries(QUERIES)
    cos = (got * ref).sum(axis=1)
    assert cos.min() >= 0.9999, cos
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    record = onnx_query._read_record(onnx_query.export_dir(tmp_path / "cache", "tiny", "c0"))
    assert record["pooling"] == pooling and record["min_cosine_vs_torch"] >= 0.9999
    assert "token_type_ids" in record["inputs"]  # a BERT tokenizer's third input is exported too


def test_export_leaves_the_torch_model_in_inference_mode(tmp_path):
    st = _tiny_st(tmp_path)
    before = onnx_query._torch_vectors(st, QUERIES)
    Embedder(st, "tiny", "c0", cache_dir=tmp_path / "cache").prepare_queries()
    assert not any(m.training for m in st.modules())  # no dropout in later passage batches
    assert np.array_equal(onnx_query._torch_vectors(st, QUERIES), before)


def test_export_is_reused_and_a_damaged_file_is_exported_again(tmp_path):
    st = _tiny_st(tmp_path)
    cache = tmp_path / "cache"
    Embedder(st, "tiny", "c0", cache_dir=cache).prepare_queries()
    model_file = onnx_query.export_dir(cache, "tiny", "c0") / onnx_query.MODEL_FILE
    first = model_file.stat().st_mtime_ns
    assert Embedder(st, "tiny", "c0", cache_dir=cache).prepare_queries() == "onnx"
    assert model_file.stat().st_mtime_ns == first  # found, not exported again
    model_file.write_bytes(b"not an onnx graph")
    emb = Embedder(st, "tiny", "c0", cache_dir=cache)
    assert emb.prepare_queries() == "onnx"
    assert model_file.stat().st_size > 1000
    # another checksum (another model) gets its own export
    assert onnx_query.export_dir(cache, "tiny", "c1") != onnx_query.export_dir(cache, "tiny", "c0")


def test_unsupported_pipeline_stays_on_torch(tmp_path):
    st = _tiny_st(tmp_path, extra_dense=True)
    emb = Embedder(st, "tiny-dense", "c0", cache_dir=tmp_path / "cache")
    assert emb.prepare_queries() == "torch"
    assert "pooling -> normalise" in emb.query_runtime_note
    assert emb.embed_queries(["trata"]).shape == (1, 16)
    assert not (tmp_path / "cache" / "onnx").exists() or not any(
        (tmp_path / "cache" / "onnx").glob("*/model.onnx")
    )


def test_runtime_setting(tmp_path, monkeypatch):
    st = _tiny_st(tmp_path)
    monkeypatch.setenv("PRACTICE_SEARCH_QUERY_RUNTIME", "torch")
    emb = Embedder(st, "tiny", "c0", cache_dir=tmp_path / "cache")
    assert emb.prepare_queries() == "torch"
    assert "PRACTICE_SEARCH_QUERY_RUNTIME=torch" in emb.query_runtime_note
    monkeypatch.setenv("PRACTICE_SEARCH_QUERY_RUNTIME", "gpu-please")
    with pytest.raises(ValueError, match="auto, onnx, onnx-int8 or torch"):
        Embedder(st, "tiny", "c0", cache_dir=tmp_path / "cache").prepare_queries()


def test_an_export_that_disagrees_with_torch_is_refused(tmp_path, monkeypatch):
    st = _tiny_st(tmp_path)
    real_pool = onnx_query._pool
    monkeypatch.setattr(
        onnx_query, "_pool", lambda h, m, p: real_pool(h[:, ::-1, :].copy(), m, "cls")
    )
    emb = Embedder(st, "tiny", "c0", cache_dir=tmp_path / "cache")
    assert emb.prepare_queries() == "torch"
    assert "disagrees with torch" in emb.query_runtime_note
    assert not (
        onnx_query.export_dir(tmp_path / "cache", "tiny", "c0") / onnx_query.MODEL_FILE
    ).exists()


def test_auto_runs_queries_on_the_checked_int8_graph_where_the_cpu_has_vnni(tmp_path, monkeypatch):
    st = _tiny_st(tmp_path)
    cache = tmp_path / "cache"
    monkeypatch.setenv("PRACTICE_SEARCH_QUERY_RUNTIME", "auto")
    monkeypatch.setattr(onnx_query, "_native_int8", lambda: False)
    assert Embedder(st, "tiny", "c0", cache_dir=cache).prepare_queries() == "onnx"
    assert not (onnx_query.export_dir(cache, "tiny", "c0") / onnx_query.INT8_FILE).exists()
    monkeypatch.setattr(onnx_query, "_native_int8", lambda: True)
    emb = Embedder(st, "tiny", "c0", cache_dir=cache)
    assert emb.prepare_queries() == "onnx-int8", emb.query_runtime_note
    record = onnx_query._read_record(onnx_query.export_dir(cache, "tiny", "c0"))["int8"]
    assert record["recipe"] == onnx_query.INT8_RECIPE and record["min_cosine_vs_torch"] >= onnx_query.INT8_MIN_COSINE
    assert 0 < record["kept_fp32"]  # the feed-forward output projections stay at fp32
    got = np.vstack([emb.embed_queries([q]) for q in QUERIES])
    ref = _torch_only(st, tmp_path, monkeypatch).embed_queries(QUERIES)
    assert (got * ref).sum(axis=1).min() >= onnx_query.INT8_MIN_COSINE
    # a batch of queries is embedded one at a time on the int8 graph: the service's vectors
    monkeypatch.setenv("PRACTICE_SEARCH_QUERY_RUNTIME", "auto")
    fresh = Embedder(st, "tiny", "c0", cache_dir=cache)
    assert np.array_equal(fresh.embed_queries(QUERIES), got)


def test_an_int8_graph_that_fails_its_check_is_not_used(tmp_path, monkeypatch):
    st = _tiny_st(tmp_path)
    cache = tmp_path / "cache"
    monkeypatch.setattr(onnx_query, "INT8_MIN_COSINE", 1.01)  # stricter than a quantised graph meets
    monkeypatch.setattr(onnx_query, "_native_int8", lambda: True)
    monkeypatch.setenv("PRACTICE_SEARCH_QUERY_RUNTIME", "auto")
    emb = Embedder(st, "tiny", "c0", cache_dir=cache)
    assert emb.prepare_queries() == "onnx"  # auto: the fp32 graph
    assert not (onnx_query.export_dir(cache, "tiny", "c0") / onnx_query.INT8_FILE).exists()
    monkeypatch.setenv("PRACTICE_SEARCH_QUERY_RUNTIME", "onnx-int8")
    emb = Embedder(st, "tiny", "c0", cache_dir=cache)
    assert emb.prepare_queries() == "torch" and "too far from torch" in emb.query_runtime_note


def test_an_int8_graph_of_an_older_recipe_is_made_again(tmp_path, monkeypatch):
    import json

    st = _tiny_st(tmp_path)
    cache = tmp_path / "cache"
    monkeypatch.setenv("PRACTICE_SEARCH_QUERY_RUNTIME", "onnx-int8")
    Embedder(st, "tiny", "c0", cache_dir=cache).prepare_queries()
    dest = onnx_query.export_dir(cache, "tiny", "c0")
    record = json.loads((dest / onnx_query.RECORD_FILE).read_text())
    record["int8"] = {"min_cosine_vs_torch": 0.995}  # as the first recipe (every MatMul) wrote it
    (dest / onnx_query.RECORD_FILE).write_text(json.dumps(record))
    assert Embedder(st, "tiny", "c0", cache_dir=cache).prepare_queries() == "onnx-int8"
    assert onnx_query._read_record(dest)["int8"]["recipe"] == onnx_query.INT8_RECIPE


def _twin(real_embedder) -> Embedder:
    """A second embedder over the real model, so this test chooses its query runtime."""
    e = real_embedder
    return Embedder(e.model, e.model_id, e.checksum, cache_dir=e._cache_dir, prompts=e.prompts)


REAL_QUERIES = [
    "¿Qué alternativas a la detención de niños migrantes existen?",
    "labour inclusion of Venezuelan refugees in Peru",
    "réintégration des migrants de retour au Sénégal",
]


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["onnx", "auto"])
def test_real_model_queries_run_on_onnx_close_to_the_torch_vectors(real_embedder, monkeypatch, runtime):
    from indexer.precision import native_int8

    monkeypatch.setenv("PRACTICE_SEARCH_QUERY_RUNTIME", runtime)
    emb = _twin(real_embedder)
    got_runtime = emb.prepare_queries()
    expected = "onnx-int8" if runtime == "auto" and native_int8() else "onnx"
    assert got_runtime == expected, emb.query_runtime_note
    got = np.vstack([emb.embed_queries([q + " (onnx)"]) for q in REAL_QUERIES])
    ref = emb._encode(emb._prefixed("query", [q + " (onnx)" for q in REAL_QUERIES]))  # a batch: torch
    bound = 0.9999 if got_runtime == "onnx" else onnx_query.INT8_MIN_COSINE
    assert ((got * ref).sum(axis=1) >= bound).all()
