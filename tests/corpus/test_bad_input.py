"""Bad input is reported and skipped, never fatal."""

from __future__ import annotations

import json

import pytest

from corpus.ingest import load_corpus, load_document
from corpus.readers import MAX_TEXT_BYTES, BadInput

GOOD = (
    "A Practice Title\n\nSummary\n\nThe municipality opened a one-stop centre where migrants "
    "receive legal advice, health referrals and help with school enrolment for their children.\n"
)


def _reasons(report) -> dict[str, str]:
    return {s.path if s.line is None else f"{s.path}:{s.line}": s.reason for s in report.skipped}


def test_bad_files_are_skipped_with_reasons(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("   \n\n  ", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage")
    (tmp_path / "notpdf.pdf").write_bytes(b"hello, I am not a PDF at all")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "slides.pptx").write_bytes(b"PK\x03\x04")
    (tmp_path / "only-nav.html").write_text(
        "<html><body><nav>Home</nav><p>Skip to main content</p></body></html>", encoding="utf-8"
    )
    report = load_corpus(tmp_path)
    assert [d.id for d in report.documents] == ["good"]
    reasons = _reasons(report)
    assert reasons["empty.txt"] == "empty file"
    assert "whitespace" in reasons["blank.md"]
    assert "binary" in reasons["binary.txt"]
    assert "PDF" in reasons["corrupt.pdf"]
    assert "not a PDF" in reasons["notpdf.pdf"]
    assert "corrupt or not a Word" in reasons["notes.docx"]
    assert "unsupported file type" in reasons["slides.pptx"]
    assert "boilerplate" in reasons["only-nav.html"]
    assert report.files_read == 8  # .pptx is not a supported file
    assert "skipped" in report.summary()


def test_invalid_utf8_is_decoded_and_noted(tmp_path):
    text = GOOD.replace("municipality", "municipalidad de Cañete")
    (tmp_path / "latin.txt").write_bytes(text.encode("cp1252"))
    report = load_corpus(tmp_path)
    (doc,) = report.documents
    assert "Cañete" in doc.passages[0].text
    assert any("cp1252" in w.reason for w in report.warnings)
    assert "note latin.txt" in report.summary()


def test_undecodable_bytes_never_crash(tmp_path):
    data = GOOD.encode() + b"\x81\x8d\x8f\x90\x9d and more words after the bad bytes here.\n"
    (tmp_path / "bad.txt").write_bytes(data)
    report = load_corpus(tmp_path)
    assert len(report.documents) == 1
    assert report.warnings


def test_large_file_is_truncated_with_a_note(tmp_path, monkeypatch):
    import corpus.readers

    cap = 256 * 1024  # the real cap is MAX_TEXT_BYTES; a smaller one keeps the test quick
    assert cap < MAX_TEXT_BYTES
    monkeypatch.setattr(corpus.readers, "MAX_TEXT_BYTES", cap)
    para = (
        "Paragraph {i}: the regional office trained {i} officials on referral of migrants "
        "to protection services and recorded the cases in a shared registry.\n\n"
    )
    path = tmp_path / "huge.txt"
    with path.open("w", encoding="utf-8") as f:
        f.write("Huge Report\n\n")
        written = 0
        i = 0
        while written < 50 * 1024 * 1024:
            block = "".join(para.format(i=i + k) for k in range(1000))
            f.write(block)
            written += len(block)
            i += 1000
    report = load_corpus(tmp_path)
    (doc,) = report.documents
    assert doc.passages
    notes = [w.reason for w in report.warnings if "truncated" in w.reason]
    assert len(notes) == 1 and f"the first {cap:,} of " in notes[0]
    assert len(doc.checksum) == 64  # hash of the whole file, read in blocks


def test_jsonl_broken_line_is_reported_others_load(tmp_path):
    good1 = {"id": "r1", "title": "First", "text": GOOD}
    good2 = {"id": "r2", "title": "Second", "text": GOOD.replace("one-stop", "mobile")}
    lines = [json.dumps(good1), "{not json", "", json.dumps({"id": "r3", "title": "No text"}),
             "[1, 2]", json.dumps(good2)]
    (tmp_path / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = load_corpus(tmp_path)
    # r3 has no text: a metadata-only record, indexed with its title as its passage
    assert [d.id for d in report.documents] == ["r1", "r2", "r3"]
    r3 = next(d for d in report.documents if d.id == "r3")
    assert [p.text for p in r3.passages] == ["No text"]
    assert r3.provenance["passages"].startswith("title only")
    reasons = _reasons(report)
    assert "invalid JSON" in reasons["records.jsonl:2"]
    assert "JSON object" in reasons["records.jsonl:5"]


def test_duplicate_ids_are_reported(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "a.md").write_text(GOOD, encoding="utf-8")
    report = load_corpus(tmp_path)
    assert len(report.documents) == 1
    assert any("duplicate document id" in s.reason for s in report.skipped)


def test_missing_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_corpus(tmp_path / "nope")


def test_load_document_raises_badinput_with_reason(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(BadInput, match="empty file"):
        load_document(tmp_path / "empty.txt")
    assert issubclass(BadInput, ValueError)


def test_overlong_jsonl_line_is_skipped_in_bounded_reads(tmp_path, monkeypatch):
    import corpus.readers

    monkeypatch.setattr(corpus.readers, "MAX_JSONL_LINE", 400)
    long = {"id": "long", "title": "Long", "text": "palabra " * 100}
    short = {"id": "short", "title": "Short", "text": GOOD}
    (tmp_path / "r.jsonl").write_text(json.dumps(long) + "\n" + json.dumps(short) + "\n")
    report = load_corpus(tmp_path)
    assert [d.id for d in report.documents] == ["short"]
    assert "over the 400-byte limit" in _reasons(report)["r.jsonl:1"]
