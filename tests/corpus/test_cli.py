"""`practice-search inspect`."""

from __future__ import annotations

import json

from practice_search.cli import main


def test_inspect_json_one_line_per_document(seeds_dir, capsys):
    assert main(["inspect", str(seeds_dir), "--json"]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().split("\n")
    assert len(lines) == 5
    docs = [json.loads(line) for line in lines]
    assert docs[0]["id"].startswith("000_") and docs[0]["objectives"]["explicit"] == [6, 10, 15]
    assert {"id", "section", "section_kind", "lang", "text"} == set(docs[0]["passages"][0])
    assert "read 5 file(s): 5 document(s)" in err


def test_inspect_readable_and_reports_skips(tmp_path, capsys):
    (tmp_path / "a.txt").write_text(
        "Una práctica\n\nResumen\n\nLa oficina municipal atendió a familias migrantes con "
        "asesoría legal y derivación a servicios de salud durante todo el año.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    assert main(["inspect", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "title:         Una práctica" in out
    assert "[summary/es] Resumen" in out
    assert "skipped b.txt: empty file" in err


def test_inspect_missing_path_is_a_user_error(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nope")]) == 2
    assert "not found" in capsys.readouterr().err
