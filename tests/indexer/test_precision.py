"""Passage embedding precisions: checked against fp32 before use, one precision per index,
recorded in the manifest, kept by an update, cached apart.

The unit tests use the tiny BERT of test_onnx_query (seconds); the last ones the real
default model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from indexer import onnx_query, precision
from indexer.build import build_index_from_documents, read_manifest
from indexer.embedder import Embedder
from tests.fakes import FakeEncoder
from tests.indexer.conftest import make_doc
from tests.indexer.test_onnx_query import _tiny_st

TEXTS = ["trata de migrantes en la frontera", "labour inclusion of refugees", "protección consular niñas", "x"]


@pytest.fixture()
def tiny(tmp_path):
    return Embedder(_tiny_st(tmp_path), "tiny", "c0", cache_dir=tmp_path / "cache", batch_size=2)


def _docs():
    return [make_doc(i, [t], lang="es") for i, t in enumerate(TEXTS)]


def test_unknown_precision_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="auto, fp32, bf16, int8"):
        precision.check_choice("fp16")


@pytest.mark.parametrize("p", ["bf16", "int8"])
def test_a_precision_reproduces_fp32_and_is_cached_apart(tiny, p):
    ref = tiny.embed_passages(TEXTS)
    assert tiny.use_passage_precision(p) == p
    assert tiny.precision_checks[p] >= precision.MIN_COSINE
    got = tiny.embed_passages(TEXTS)
    assert precision.min_cosine(ref, got) >= precision.MIN_COSINE
    assert not np.array_equal(ref, got)  # really another computation, not the fp32 cache
    assert tiny.passage_keys(TEXTS, "fp32") != tiny.passage_keys(TEXTS, p)
    assert len(tiny.cache) == 2 * len(TEXTS)


def test_int8_passages_use_the_checked_int8_graph(tiny):
    tiny.use_passage_precision("int8")
    record = onnx_query._read_record(onnx_query.export_dir(tiny._cache_dir, "tiny", "c0"))
    assert record["int8"]["recipe"] == onnx_query.INT8_RECIPE
    assert record["int8"]["min_cosine_vs_torch"] >= onnx_query.INT8_MIN_COSINE


def test_a_precision_that_fails_its_check_is_refused_or_falls_back(tiny, monkeypatch):
    monkeypatch.setattr(precision, "MIN_COSINE", 1.01)  # stricter than any other precision meets
    with pytest.raises(precision.PrecisionRefused, match="too far from fp32"):
        tiny.use_passage_precision("bf16")
    assert tiny.passage_precision == "fp32"
    monkeypatch.setattr(precision, "auto_precision", lambda: "bf16")
    assert tiny.use_passage_precision("auto") == "fp32"


def test_auto_follows_the_cpu(monkeypatch):
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    assert precision.auto_precision() == "fp32"
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))
    assert precision.auto_precision() == "bf16"
    monkeypatch.setenv("PRACTICE_SEARCH_NO_BF16", "1")
    assert precision.auto_precision() == "fp32"


def test_the_manifest_records_the_precision_and_an_update_keeps_it(tiny, tmp_path, monkeypatch):
    ix = tmp_path / "ix"
    report = build_index_from_documents(_docs(), ix, embedder=tiny, precision="bf16")
    model = read_manifest(ix)["model"]
    assert model["passage_precision"] == "bf16" and model["precision_min_cosine_vs_fp32"] >= precision.MIN_COSINE
    assert report.embedded == len(TEXTS)
    # auto on an existing index keeps its precision, whatever this CPU would choose
    monkeypatch.setattr(precision, "auto_precision", lambda: "fp32")
    report = build_index_from_documents(_docs(), ix, embedder=tiny, precision="auto")
    assert read_manifest(ix)["model"]["passage_precision"] == "bf16"
    assert (report.reused, report.embedded) == (len(TEXTS), 0)
    # an explicit other precision embeds every passage again: one precision per index
    report = build_index_from_documents(_docs(), ix, embedder=tiny, precision="fp32")
    assert read_manifest(ix)["model"]["passage_precision"] == "fp32"
    assert (report.reused, report.embedded) == (0, len(TEXTS))


def test_an_index_without_a_recorded_precision_counts_as_fp32(tiny, tmp_path, monkeypatch):
    ix = tmp_path / "ix"
    build_index_from_documents(_docs(), ix, embedder=tiny, precision="fp32")
    path = ix.resolve() / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["model"]["passage_precision"]  # as written before precisions existed
    path.write_text(json.dumps(manifest))
    monkeypatch.setattr(precision, "auto_precision", lambda: "bf16")
    report = build_index_from_documents(_docs(), ix, embedder=tiny, precision="auto")
    assert read_manifest(ix)["model"]["passage_precision"] == "fp32" and report.reused == len(TEXTS)


def test_an_encoder_without_precisions_builds_at_fp32_only(tmp_path):
    fake = FakeEncoder()
    build_index_from_documents(_docs(), tmp_path / "a", embedder=fake, precision="auto")
    assert read_manifest(tmp_path / "a")["model"]["passage_precision"] == "fp32"
    with pytest.raises(ValueError, match="fp32 only"):
        build_index_from_documents(_docs(), tmp_path / "b", embedder=fake, precision="bf16")


@pytest.mark.slow
@pytest.mark.parametrize("p", ["bf16", "int8"])
def test_real_model_precisions_reproduce_fp32_on_real_passages(real_embedder, p):
    from pathlib import Path

    texts = [
        json.loads(line)["text"][:1500]
        for line in (Path(__file__).parents[2] / "corpus/sample/practices.jsonl").read_text().splitlines()[:24]
    ]
    texts = [t + " (precision check)" for t in texts]  # not in the embedding cache
    try:
        ref = real_embedder._encode(real_embedder._prefixed("passage", texts), precision="fp32")
        assert real_embedder.use_passage_precision(p) == p
        got = real_embedder.embed_passages_uncached(texts)
    finally:
        real_embedder.use_passage_precision("fp32")
    cos = (ref * got).sum(axis=1)
    assert cos.min() >= precision.MIN_COSINE, cos.min()


def test_auto_does_not_inherit_the_precision_of_another_models_index(tiny, tmp_path, monkeypatch):
    ix = tmp_path / "ix"
    build_index_from_documents(_docs(), ix, embedder=tiny, precision="bf16")
    other = Embedder(tiny.model, "tiny", "c1", cache_dir=tmp_path / "cache")  # another checksum: another model
    monkeypatch.setattr(precision, "auto_precision", lambda: "fp32")
    report = build_index_from_documents(_docs(), ix, embedder=other, precision="auto")
    assert read_manifest(ix)["model"]["passage_precision"] == "fp32" and report.reused == 0
