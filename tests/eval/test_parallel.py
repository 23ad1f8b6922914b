"""squad-es-en: parallel English/Spanish collections through the XQuAD runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.parallel import NAME, load_squad_es_en, squad_checks
from eval.xquad import run_xquad
from tests.fakes import FakeEncoder

# Written for this test.
PARAS = [
    {"id": "a__p0", "title": "A", "text_en": "The river floods the valley every spring.",
     "text_es": "El río inunda el valle cada primavera."},
    {"id": "a__p1", "title": "A", "text_en": "Farmers plant rice after the water recedes.", "text_es": ""},
    {"id": "b__p0", "title": "B", "text_en": "The bridge was built of stone in 1820.",
     "text_es": "El puente se construyó de piedra en 1820."},
]
QUESTIONS = [
    {"id": "q1", "paragraph_id": "a__p0", "question_en": "When does the river flood?",
     "question_es": "¿Cuándo inunda el río?"},
    {"id": "q2", "paragraph_id": "a__p1", "question_en": "What do farmers plant?",
     "question_es": "¿Qué plantan los agricultores?"},
    {"id": "q3", "paragraph_id": "b__p0", "question_en": "What was the bridge built of?",
     "question_es": "¿De qué se construyó el puente?"},
]


def _write(d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "paragraphs.jsonl").write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in PARAS), encoding="utf-8")
    (d / "questions.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS), encoding="utf-8")
    return d


def test_untranslated_paragraphs_are_left_out_on_both_sides(tmp_path):
    data = load_squad_es_en(_write(tmp_path / "sq"))
    assert set(data) == {"en", "es"}
    for lang in ("en", "es"):
        assert len(data[lang].paragraphs) == 2 and [q[0] for q in data[lang].questions] == ["q1", "q3"]
    assert data["es"].paragraphs[1].startswith("El puente") and data["en"].questions[1][2] == 1
    assert data["en"].doc_id(0) == f"{NAME}-en-000"
    assert len(load_squad_es_en(tmp_path / "sq", limit=1)["en"].questions) == 1
    with pytest.raises(ValueError, match="squad-dir"):
        load_squad_es_en(tmp_path / "missing")


def test_runs_every_pair_through_the_xquad_runner(tmp_path):
    data = load_squad_es_en(_write(tmp_path / "sq"))
    report = run_xquad(tmp_path, tmp_path / "work", {"default": FakeEncoder()}, systems=["bm25", "hybrid"],
                       data=data, log=lambda *_: None)
    assert report["benchmark"] == NAME and report["n_paragraphs"] == {"en": 2, "es": 2}
    assert set(report["systems"]["hybrid"]) == {"en->en", "es->es", "es->en", "en->es"}
    assert report["systems"]["bm25"]["en->en"]["ndcg@10"] == 1.0  # two paragraphs, exact words
    assert (tmp_path / "work" / f"{NAME}-en-default-full").exists()


def test_checks_targets_and_the_cross_lingual_gap():
    def r(v):
        return {"ndcg@10": v}

    report = {"limit": None, "systems": {"hybrid": {"en->en": r(0.95), "es->es": r(0.9), "es->en": r(0.86), "en->es": r(0.88)}}}
    checks = {c["name"]: c["ok"] for c in squad_checks(report)}
    assert checks["hybrid es->en ndcg@10"] and checks["hybrid en->en ndcg@10"]
    assert not checks["hybrid en->en - es->en ndcg@10"]  # 0.09 apart
    assert checks["hybrid es->es - en->es ndcg@10"]
    assert squad_checks({**report, "limit": 10}) == []  # a quick run is not held to the targets
