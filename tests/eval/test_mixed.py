"""mlqa-es-en: one mixed English + Spanish collection, two relevant paragraphs per question
(made-up files in tmp_path, fake encoder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import eval.mixed as mixed
from eval.mixed import (
    NAME,
    bias_figures,
    load_mlqa,
    mixed_checks,
    mixed_documents,
    mixed_queries,
    run_mixed,
)
from practice_search.cli import main
from tests.fakes import FakeEncoder

# Written for this test: distinct topics, the two languages' paragraphs are not translations.
PARAS = [
    {"id": "en-p0", "lang": "en", "title": "Glaciers", "text": "Glaciers in the Andes retreat faster each decade as summers warm."},
    {"id": "en-p1", "lang": "en", "title": "Honey bees", "text": "Honey bees pollinate almond orchards; beekeepers move hives by truck."},
    {"id": "es-p0", "lang": "es", "title": "Volcanes", "text": "El volcán entró en erupción y la ceniza cubrió los tejados del pueblo."},
    {"id": "en-p2", "lang": "en", "title": "Lighthouses", "text": "The lighthouse keeper lit the lamp at dusk to warn ships off the reef."},
    {"id": "es-p1", "lang": "es", "title": "Faros", "text": "El farero encendía la lámpara del faro al anochecer, cuando volvían los pescadores."},
    {"id": "es-p2", "lang": "es", "title": "Abejas", "text": "Las abejas polinizan los almendros y los apicultores trasladan las colmenas."},
]
QUESTIONS = [
    {"id": "q1", "paragraph_id_en": "en-p2", "paragraph_id_es": "es-p1", "question_en": "Who lit the lighthouse lamp at dusk?",
     "question_es": "¿Quién encendía la lámpara del faro?", "answers_en": ["keeper"], "answers_es": ["farero"]},
    {"id": "q2", "paragraph_id_en": "en-p1", "paragraph_id_es": "es-p2", "question_en": "What do honey bees pollinate?",
     "question_es": "¿Qué polinizan las abejas?", "answers_en": ["almond orchards"], "answers_es": ["almendros"]},
]


class QueryCounter(FakeEncoder):
    """Counts the questions it embeds."""

    queries = 0

    def embed_queries(self, texts):
        self.queries += len(texts)
        return super().embed_queries(texts)


def _write(d: Path, paras=PARAS, questions=QUESTIONS) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "paragraphs.jsonl").write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in paras) + "\n", encoding="utf-8")
    (d / "questions.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions) + "\n", encoding="utf-8")
    return d


def test_loads_one_mixed_collection_with_two_relevant_paragraphs_per_question(tmp_path):
    data = load_mlqa(_write(tmp_path / "m"))
    assert [p.id for p in data.paragraphs] == [p["id"] for p in PARAS]
    docs = mixed_documents(data)
    assert [d.id for d in docs] == [p["id"] for p in PARAS]
    assert [(d.passages[0].lang, d.title) for d in docs][2] == ("es", "Volcanes")
    assert docs[3].passages[0].id == "en-p2#0" and docs[3].languages == ("en",)
    for lang in ("en", "es"):
        qs = mixed_queries(data, lang)
        assert [dict(q.relevant) for q in qs] == [{"en-p2": 1, "es-p1": 1}, {"en-p1": 1, "es-p2": 1}]
        assert {q.lang for q in qs} == {lang}
    assert mixed_queries(data, "es")[1].text == "¿Qué polinizan las abejas?"


def test_limit_keeps_first_questions_their_paragraphs_and_distractors(tmp_path, monkeypatch):
    root = _write(tmp_path / "m")
    assert len(load_mlqa(root, limit=1).paragraphs) == 6  # 5 per language per question: all of these
    monkeypatch.setattr(mixed, "OTHERS_PER_QUESTION", 1)
    data = load_mlqa(root, limit=1)
    assert [q.id for q in data.questions] == ["q1"]
    # the first paragraph of each language, plus q1's two (file order kept); en-p1 and es-p2 go
    assert [p.id for p in data.paragraphs] == ["en-p0", "es-p0", "en-p2", "es-p1"]
    assert len(load_mlqa(root, limit=5).questions) == 2
    with pytest.raises(ValueError, match="at least 1"):
        load_mlqa(root, limit=0)


@pytest.mark.parametrize(
    ("paras", "questions", "match"),
    [
        (PARAS[:1] + [{**PARAS[1], "lang": "fr"}], QUESTIONS, "paragraphs.jsonl:2: lang 'fr'"),
        (PARAS + [PARAS[0]], QUESTIONS, "paragraphs.jsonl:7: paragraph id 'en-p0' repeats"),
        ([{**PARAS[0], "text": " "}] + PARAS[1:], QUESTIONS, r"paragraphs.jsonl:1: missing or empty field\(s\) text"),
        (PARAS, [{**QUESTIONS[0], "paragraph_id_es": "en-p0"}], "questions.jsonl:1: paragraph_id_es 'en-p0' is a paragraph in en"),
        (PARAS, [{**QUESTIONS[0], "paragraph_id_en": "nowhere"}], "'nowhere' is not in paragraphs.jsonl"),
        (PARAS, [QUESTIONS[0], QUESTIONS[0]], "question ids repeat"),
        (PARAS, [], "holds no records"),
    ],
)
def test_bad_files_are_a_clear_value_error(tmp_path, paras, questions, match):
    with pytest.raises(ValueError, match=match):
        load_mlqa(_write(tmp_path / "m", paras, questions))


def test_broken_line_and_missing_folder(tmp_path):
    root = _write(tmp_path / "m")
    (root / "questions.jsonl").write_text(json.dumps(QUESTIONS[0]) + '\n{"id": "q2",\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"questions.jsonl:2: not valid JSON"):
        load_mlqa(root)
    with pytest.raises(ValueError, match="mlqa-dir"):
        load_mlqa(tmp_path / "missing")


def test_bias_figures_on_fixed_rankings():
    filler = [f"x{i}" for i in range(10)]
    cases = [
        (["x1", "es-a", "x2", "en-a"], {"en": "en-a", "es": "es-a"}),  # both; Spanish first
        (["en-b", "x1"], {"en": "en-b", "es": "es-b"}),  # English only
        (["x1", "x2"], {"en": "en-c", "es": "es-c"}),  # neither
        (["x0", "x0", "en-d", *filler[1:9], "es-d"], {"en": "en-d", "es": "es-d"}),  # es-d 11th once x0 counts once
    ]
    en = bias_figures(cases, "en")
    assert en == {"both_in_top10": 0.25, "own_lang_first": pytest.approx(2 / 3), "other_lang_in_top10": 0.25,
                  "n_any_in_top10": 3}
    es = bias_figures(cases, "es")
    assert es["own_lang_first"] == pytest.approx(1 / 3) and es["other_lang_in_top10"] == 0.75
    assert bias_figures(cases, "en", k=20)["both_in_top10"] == 0.5
    assert bias_figures([], "en") == {"both_in_top10": 0.0, "own_lang_first": 0.0, "other_lang_in_top10": 0.0,
                                      "n_any_in_top10": 0}


def test_checks_per_question_language():
    def r(ndcg, both):
        return {"ndcg@10": ndcg, "both_in_top10": both}

    report = {"limit": None, "systems": {"hybrid": {"en": r(0.9, 0.95), "es": r(0.84, 0.91)}}}
    checks = {c["name"]: c["ok"] for c in mixed_checks(report)}
    assert checks == {"hybrid en ndcg@10": True, "hybrid en both_in_top10": True,
                      "hybrid es ndcg@10": False, "hybrid es both_in_top10": True}
    assert mixed_checks({**report, "limit": 3}) == []
    assert mixed_checks({"limit": None, "systems": {"bm25": {}}}) == []


def test_run_mixed_with_fake_encoder(tmp_path):
    root = _write(tmp_path / "m")
    report = run_mixed(root, tmp_path / "work", FakeEncoder(), log=lambda m: None)
    assert report["benchmark"] == NAME and report["n_paragraphs"] == {"en": 3, "es": 3} and report["n_questions"] == 2
    assert list(report["systems"]) == ["bm25", "dense", "hybrid"]
    for per_lang in report["systems"].values():
        assert set(per_lang) == {"en", "es"}
        for m in per_lang.values():
            assert {"ndcg@10", "recall@10", "mrr@10", "latency_ms_p50", "both_in_top10", "own_lang_first"} <= set(m)
            assert m["n_queries"] == 2
    for lang in ("en", "es"):  # dense ranks all six paragraphs: both answers always in the top 10
        d = report["systems"]["dense"][lang]
        assert d["recall@10"] == 1.0 and d["both_in_top10"] == 1.0 and d["other_lang_in_top10"] == 1.0
        # the question's words are in its own-language paragraph only
        b = report["systems"]["bm25"][lang]
        assert b["mrr@10"] == 1.0 and b["own_lang_first"] == 1.0
    assert [c["name"] for c in report["checks"]][:2] == ["hybrid en ndcg@10", "hybrid en both_in_top10"]
    assert (tmp_path / "work" / f"{NAME}-mixed-default-full").exists()
    assert (tmp_path / "work" / f"{NAME}-queries-default.npz").is_file()
    assert report["passages_embedded"] == 6
    enc = QueryCounter()
    again = run_mixed(root, tmp_path / "work", enc, systems=["dense"], log=lambda m: None)
    assert enc.queries == 0 and again["passages_embedded"] == 0 and again["passages_reused"] == 6  # both cached
    for lang, m in again["systems"]["dense"].items():
        assert {k: v for k, v in m.items() if "latency" not in k} == {
            k: v for k, v in report["systems"]["dense"][lang].items() if "latency" not in k
        }
    with pytest.raises(ValueError, match="dense-use"):
        run_mixed(root, tmp_path / "work", FakeEncoder(), systems=["dense-use"], log=lambda m: None)


def test_cli_writes_json_and_markdown(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PRACTICE_SEARCH_TEST_ENCODER", "tests.fakes:FakeEncoder")
    root = _write(tmp_path / "m")
    out, md = tmp_path / "r" / "mlqa.json", tmp_path / "r" / "mlqa.md"
    base = ["eval", "--benchmark", NAME, "--mlqa-dir", str(root), "--work-dir", str(tmp_path / "work")]
    assert main([*base, "--json-out", str(out), "--md-out", str(md)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["benchmark"] == NAME and report["limit"] is None and len(report["checks"]) == 4
    assert report["systems"]["hybrid"]["es"]["n_queries"] == 2
    text = md.read_text(encoding="utf-8")
    assert "| hybrid | es | 2 |" in text and "own_lang_first" in text and "hybrid es both_in_top10" in text
    assert "mlqa-es-en: 2 questions" in capsys.readouterr().out
    monkeypatch.setattr(mixed, "OTHERS_PER_QUESTION", 1)
    assert main([*base, "--limit", "1", "--json-out", str(out)]) == 0
    limited = json.loads(out.read_text(encoding="utf-8"))
    assert limited["n_questions"] == 1 and limited["n_paragraphs"] == {"en": 2, "es": 2} and limited["checks"] == []
    assert main([*base, "--json-out", str(out), "--png-out", str(tmp_path / "c.png")]) == 2
    assert "no chart" in capsys.readouterr().err
    assert main(["eval", "--benchmark", NAME, "--mlqa-dir", str(tmp_path / "nowhere"), "--work-dir", str(tmp_path / "w"),
                 "--json-out", str(out)]) == 2
    assert "--mlqa-dir" in capsys.readouterr().err
