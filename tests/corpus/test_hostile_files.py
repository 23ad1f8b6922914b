"""Files that must never stop a corpus walk: deep nesting, odd names, links, special files."""

from __future__ import annotations

import os
from pathlib import Path

from corpus import ingest
from corpus.ingest import load_corpus

GOOD = (
    "A one-stop centre for returnees\n\nThe municipality opened a desk where returnees register, "
    "receive legal advice and are referred to health and employment services in one visit."
)


def _reasons(report) -> dict[str, str]:
    return {s.path: s.reason for s in report.skipped}


def test_html_nested_100000_levels_is_read(tmp_path):
    body = "<div>" * 100_000 + "<p>" + GOOD.replace("\n\n", " ") + "</p>" + "</div>" * 100_000
    (tmp_path / "deep.html").write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    report = load_corpus(tmp_path)
    (doc,) = report.documents
    assert "returnees register, receive legal advice" in " ".join(p.text for p in doc.passages)


def test_a_file_name_that_is_not_utf8_gets_a_stable_escaped_id(tmp_path):
    name = os.fsdecode(b"informe-\xe9xito.txt")  # Latin-1 bytes, as an old share may hold
    (tmp_path / name).write_text(GOOD, encoding="utf-8")
    report = load_corpus(tmp_path)
    (doc,) = report.documents
    assert doc.id == "informe-\\xe9xito"
    doc.id.encode("utf-8")  # storable as JSON and UTF-8
    assert any("not valid UTF-8" in w.reason for w in report.warnings)
    assert load_corpus(tmp_path).documents[0].id == doc.id


def test_links_out_of_the_root_loops_dangling_links_and_fifos_are_reported(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "good.txt").write_text(GOOD, encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("A private note that must not be served " * 5, encoding="utf-8")
    (root / "outside.txt").symlink_to(secret)
    (root / "inside.txt").symlink_to(root / "good.txt")
    (root / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (root / "loop.txt").symlink_to(root / "loop.txt")
    (root / "folder-link").symlink_to(tmp_path)
    os.mkfifo(root / "pipe.txt")
    report = load_corpus(root)
    ids = sorted(d.id for d in report.documents)
    assert ids == ["good", "inside"]  # a link inside the corpus is read
    reasons = _reasons(report)
    assert "outside the corpus folder" in reasons["outside.txt"]
    assert "dangling" in reasons["dangling.txt"]
    assert "loop" in reasons["loop.txt"]
    assert "folder" in reasons["folder-link"]
    assert "FIFO" in reasons["pipe.txt"]
    assert all("private note" not in p.text for d in report.documents for p in d.passages)


def test_any_failure_inside_one_file_is_that_files_skip_reason(tmp_path, monkeypatch):
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.md").write_text(GOOD, encoding="utf-8")
    real = ingest._read

    def flaky(path: Path, fmt: str, settings):
        if fmt == "md":
            raise ZeroDivisionError("a reader bug")
        return real(path, fmt, settings)

    monkeypatch.setattr(ingest, "_read", flaky)
    report = load_corpus(tmp_path)
    assert [d.id for d in report.documents] == ["good"]
    assert _reasons(report)["bad.md"] == "could not be read (ZeroDivisionError: a reader bug)"


def test_recursion_in_a_reader_is_reported_plainly(tmp_path, monkeypatch):
    (tmp_path / "x.txt").write_text(GOOD, encoding="utf-8")

    def boom(path, fmt, settings):
        raise RecursionError("deep")

    monkeypatch.setattr(ingest, "_read", boom)
    report = load_corpus(tmp_path)
    assert "nested too deeply" in _reasons(report)["x.txt"]
