"""XQuAD loading and the cross-lingual run, on a made-up SQuAD-format pair of files
(fake encoder); one slow test runs the real model on a slice of the real XQuAD."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval.encoders import QueryMemo
from eval.xquad import load_xquad, run_xquad, xquad_documents, xquad_queries
from tests.fakes import FakeEncoder

PARAS = {
    "en": [("Remittances reached families through mobile wallets.", ["How did remittances reach families?"]),
           ("Border shelters protected unaccompanied children.", ["Who protected unaccompanied children?", "What did shelters do?"]),
           ("Remittances reached families through mobile wallets.", ["Same paragraph again?"])],
    "es": [("Las remesas llegaron a las familias por billeteras móviles.", ["¿Cómo llegaron las remesas a las familias?"]),
           ("Los albergues fronterizos protegieron a niños no acompañados.", ["¿Quién protegió a los niños no acompañados?", "¿Qué hicieron los albergues?"]),
           ("Las remesas llegaron a las familias por billeteras móviles.", ["¿Otra vez el mismo párrafo?"])],
}


def write_squad(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for lang, paras in PARAS.items():
        data = {"version": "1.0", "data": [{"title": "t", "paragraphs": [
            {"context": c, "qas": [{"id": f"q{i}-{j}", "question": q, "answers": []} for j, q in enumerate(qs)]}
            for i, (c, qs) in enumerate(paras)]}]}
        (root / f"xquad.{lang}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return root


def test_load_dedupes_contexts_and_judges_by_position(tmp_path):
    root = write_squad(tmp_path / "xq")
    en, es = load_xquad(root, "en"), load_xquad(root, "es")
    assert en.canonical == (0, 1, 0) and len(en.questions) == 4
    docs = xquad_documents(en)
    assert [d.id for d in docs] == ["xquad-en-000", "xquad-en-001"]
    assert docs[0].passages[0].lang == "en" and docs[0].passages[0].id == "xquad-en-000#0"
    qs = xquad_queries(es, en)
    assert [dict(q.relevant) for q in qs] == [{"xquad-en-000": 1}, {"xquad-en-001": 1}, {"xquad-en-001": 1}, {"xquad-en-000": 1}]
    assert {q.lang for q in qs} == {"es"}
    assert len(load_xquad(root, "en", limit=1).questions) == 1
    with pytest.raises(ValueError, match="xquad.fr.json"):
        load_xquad(root, "fr")


def test_run_xquad_with_fake_encoder(tmp_path):
    from eval.report import write_chart, xquad_markdown

    root = write_squad(tmp_path / "xq")
    report = run_xquad(root, tmp_path / "work", {"default": FakeEncoder()}, systems=("bm25", "dense", "hybrid"), log=lambda m: None)
    assert report["n_paragraphs"] == {"en": 2, "es": 2} and report["n_questions"] == {"en": 4, "es": 4}
    assert set(report["systems"]) == {"bm25", "dense", "hybrid"}
    for name, per_pair in report["systems"].items():
        assert set(per_pair) == {"en->en", "es->es", "es->en", "en->es"}
        for m in per_pair.values():
            assert {"ndcg@10", "recall@1", "recall@10", "mrr@10"} <= set(m) and m["n_queries"] == 4
            if name != "bm25":  # dense ranks every passage: both documents always returned
                assert m["recall@10"] == pytest.approx(1.0)
    assert any(c["name"].startswith("hybrid es->en") for c in report["checks"])
    assert "| hybrid |" in "\n".join(xquad_markdown(report))
    assert write_chart(report, tmp_path / "c.png").stat().st_size > 1000
    again = run_xquad(root, tmp_path / "work", {"default": FakeEncoder()}, systems=("dense",), log=lambda m: None)
    for pair, m in again["systems"]["dense"].items():  # the reused index ranks the same
        assert {k: v for k, v in m.items() if "latency" not in k} == {
            k: v for k, v in report["systems"]["dense"][pair].items() if "latency" not in k
        }
    with pytest.raises(ValueError, match="no encoder"):
        run_xquad(root, tmp_path / "work", {}, systems=("dense-use",), log=lambda m: None)


def test_query_memo_batches_and_persists(tmp_path):
    inner = FakeEncoder()
    memo = QueryMemo(inner, batch_size=2)
    memo.prime(["a b c", "dos tres", "a b c", "cuatro"])
    assert inner.calls == 3
    v = memo.embed_queries(["dos tres", "a b c"])
    assert inner.calls == 3 and np.allclose(v, inner.embed_queries(["dos tres", "a b c"]))
    memo.save(tmp_path / "m.npz")
    other = QueryMemo(FakeEncoder())
    assert other.load(tmp_path / "m.npz") == 3
    assert (other.model_id, other.checksum, other.dim) == (inner.model_id, inner.checksum, inner.dim)
    stranger = QueryMemo(FakeEncoder(dim=64))
    assert stranger.load(tmp_path / "m.npz") == 0  # other dimension: not reused


def test_query_memo_of_another_query_graph_is_not_reused(tmp_path):
    """Vectors saved from one query graph (fp32) are not answers for another (int8)."""

    class WithGraph(FakeEncoder):
        def __init__(self, runtime: str):
            super().__init__()
            self._runtime = runtime

        def prepare_queries(self) -> str:
            return self._runtime

    memo = QueryMemo(WithGraph("onnx"))
    memo.prime(["a b c", "dos tres"])
    memo.save(tmp_path / "m.npz")
    assert QueryMemo(WithGraph("onnx")).load(tmp_path / "m.npz") == 2
    assert QueryMemo(WithGraph("onnx-int8")).load(tmp_path / "m.npz") == 0


def test_query_memo_passes_the_passage_precision_through(tmp_path):
    """An index built through the memo gets the wrapped embedder's precision."""
    from indexer.build import build_index_from_documents, read_manifest
    from indexer.embedder import Embedder
    from tests.indexer.conftest import make_doc
    from tests.indexer.test_onnx_query import _tiny_st

    inner = Embedder(_tiny_st(tmp_path), "tiny", "c0", cache_dir=tmp_path / "cache")
    memo = QueryMemo(inner)
    build_index_from_documents([make_doc(0, ["trata de migrantes"])], tmp_path / "ix", embedder=memo, precision="bf16")
    assert read_manifest(tmp_path / "ix")["model"]["passage_precision"] == "bf16"


@pytest.mark.slow
def test_real_model_cross_lingual_beats_bm25_on_xquad_slice(shared_dir, tmp_path):
    """Multilingual e5 ranks Spanish questions over English paragraphs far better than
    BM25, which shares few words across languages (first 20 paragraphs)."""
    from indexer.build import get_embedder

    report = run_xquad(
        shared_dir / "benchmarks" / "xquad", tmp_path, {"default": get_embedder(None)},
        systems=("bm25", "dense"), pairs=(("es", "en"),), limit=20, log=lambda m: None,
    )
    dense = report["systems"]["dense"]["es->en"]["ndcg@10"]
    bm25 = report["systems"]["bm25"]["es->en"]["ndcg@10"]
    assert report["n_paragraphs"]["en"] == 20
    assert dense >= 0.9 and dense >= bm25 + 0.08, (dense, bm25)


@pytest.mark.slow
def test_use_encoder_speaks_the_embedder_interface():
    from eval.encoders import USEEncoder

    enc = USEEncoder()
    q = enc.embed_queries(["¿Dónde viven los refugiados?", "Where do refugees live?"])
    p = enc.embed_passages(["The weather was sunny."])
    assert q.shape == (2, 512) and p.shape == (1, 512) and q.dtype == np.float32 and enc.dim == 512
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert float(q[0] @ q[1]) > float(q[0] @ p[0])  # translations closer than unrelated text
    assert enc.checksum.startswith("usem3-") and enc.model_id
