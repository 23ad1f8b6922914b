"""The iom-titles benchmark: countries read from titles against a catalogue's."""

from __future__ import annotations

import json

from eval.metadata import score_title_countries
from practice_search.cli import main


def _records(tmp_path):
    recs = [
        {"id": "1", "title": "Final evaluation of border management in Ghana", "countries_covered": ["Ghana"],
         "languages": "English"},
        {"id": "2", "title": "Évaluation du projet au Niger et au Mali", "countries_covered": ["Niger"],
         "languages": "French"},
        {"id": "3", "title": "Regional programme evaluation", "countries_covered": ["Kenya", "Uganda"],
         "languages": "English"},
        {"id": "4", "title": "Global evaluation", "countries_covered": ["Worldwide"], "languages": "English"},
    ]
    p = tmp_path / "records.jsonl"
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs), encoding="utf-8")
    return p


def test_precision_and_recall_are_counted_per_code(tmp_path):
    r = score_title_countries(_records(tmp_path))
    assert r["records_scored"] == 3  # Worldwide is not scored
    assert r["overall"] == {"precision": 0.6667, "recall": 0.5, "tp": 2, "fp": 1, "fn": 2}
    assert r["by_language"]["French"]["fp"] == 1 and r["by_language"]["English"]["fn"] == 2
    assert r["read_not_in_catalogue"][0]["read"] == ["ML", "NE"]


def test_eval_command_writes_the_report(tmp_path, capsys):
    out = tmp_path / "t.json"
    rc = main(["eval", "--benchmark", "iom-titles", "--records", str(_records(tmp_path)),
               "--json-out", str(out), "--md-out", str(tmp_path / "t.md")])
    assert rc == 0
    assert json.loads(out.read_text())["overall"]["tp"] == 2
    assert "| all | 0.6667 | 0.5 |" in (tmp_path / "t.md").read_text()
    assert "precision 0.6667 recall 0.5" in capsys.readouterr().out


def test_objective_scores_on_labelled_text(tmp_path, real_embedder):
    """With the real model: plain texts about one objective each, in three languages, are
    placed under it first and by default; a file that labels one text twice is reported."""
    from eval.metadata import score_objectives

    rows = [
        {"id": "a", "objective": 10, "text": "Prevent, combat and eradicate trafficking in persons: "
         "identify victims of trafficking, protect survivors and prosecute traffickers."},
        {"id": "b", "objective": 20, "text": "Lower the cost of remittances and promote faster, cheaper "
         "transfers of remittances and the financial inclusion of migrants.", "lang": "en"},
        {"id": "c", "objective": 21, "text": "Apoyar el retorno seguro y digno y la reintegración "
         "sostenible de las personas migrantes retornadas en sus comunidades.", "lang": "es"},
        {"id": "d", "objective": 8, "text": "Les garde-côtes ont secouru des migrants en détresse en mer "
         "et les corps des personnes disparues ont été identifiés pour informer leurs familles.", "lang": "fr"},
        {"id": "e", "objective": 9, "text": "Prevent, combat and eradicate trafficking in persons: "
         "identify victims of trafficking, protect survivors and prosecute traffickers."},
    ]
    p = tmp_path / "labelled.jsonl"
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    r = score_objectives(p, real_embedder)
    assert r["overall"]["n"] == 5 and set(r["by_language"]) == {"en", "es", "fr"}
    # each text is written plainly about its objective; "e" repeats "a" under another label
    assert r["overall"]["top1"] == 0.8 and r["by_language"]["fr"]["top1"] == 1.0
    assert r["label_conflicts"] == [{"ids": ["a", "e"], "objectives": [10, 9]}]
    assert r["overall"]["recall"] >= 0.6 and r["overall"]["default_on"] >= 3
    assert r["inference"]["confident"] > 0.5 and r["model"] == real_embedder.model_id
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "x", "objective": 30}), encoding="utf-8")
    import pytest

    with pytest.raises(ValueError, match="1-23"):
        score_objectives(bad, real_embedder)


def test_the_shipped_practice_texts_are_a_well_formed_labelled_file():
    """eval/labelled/gcm_practices.jsonl (report-style texts in the project's own words): five
    per objective, two Spanish, two French and one English, unique ids, each text long enough
    to be a passage. A file with a gap or a stray label would skew the figures by language."""
    from collections import Counter
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "eval" / "labelled" / "gcm_practices.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len({r["id"] for r in rows}) == len(rows) == 115
    assert all(set(r) == {"id", "lang", "objective", "text"} for r in rows)
    per = Counter((r["objective"], r["lang"]) for r in rows)
    assert {o for o, _ in per} == set(range(1, 24))
    assert all(per[(o, "es")] == 2 and per[(o, "fr")] == 2 and per[(o, "en")] == 1 for o in range(1, 24))
    assert min(len(r["text"].split()) for r in rows) >= 40
