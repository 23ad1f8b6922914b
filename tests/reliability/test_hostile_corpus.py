"""One folder holding every kind of hostile file the walk and readers meet: `practice-search
index` finishes with rc 0, indexes the good files and names each bad one with its reason."""

from __future__ import annotations

import os
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.corpus.conftest import make_pdf, make_stream_bomb
from tests.reliability.conftest import run_index
from tests.service.conftest import FAKE

TEXT = (
    "Reintegration support for returnees\n\nReturnees in the coastal districts received vocational "
    "training and small grants from the municipal employment office; case workers met partners "
    "each month to agree on referrals to health services and psychosocial support."
)


def _hostile_folder(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "good.txt").write_text(TEXT, encoding="utf-8")
    make_pdf(root / "good-pdf.pdf", TEXT.replace("\n\n", "\n").split("; "))
    deep = "<div>" * 100_000 + f"<p>{TEXT}</p>" + "</div>" * 100_000
    (root / "deep.html").write_text(f"<html><body>{deep}</body></html>", encoding="utf-8")
    (root / os.fsdecode(b"informe-\xe9xito.txt")).write_text(TEXT, encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("A private note that must not be indexed. " * 5, encoding="utf-8")
    (root / "outside.txt").symlink_to(secret)
    (root / "loop.txt").symlink_to(root / "loop.txt")
    (root / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    os.mkfifo(root / "pipe.txt")
    locked = canvas.Canvas(str(root / "locked.pdf"), pagesize=A4, encrypt="secret")
    locked.drawString(72, 700, "A report behind a password.")
    locked.save()
    make_stream_bomb(root / "bomb.pdf", 70)
    return root


def test_a_folder_of_every_hostile_file_indexes_and_names_each(tmp_path):
    root = _hostile_folder(tmp_path)
    done = run_index(root, tmp_path / "index", FAKE, PRACTICE_SEARCH_FILE_MEMORY_MB="300")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Traceback" not in done.stderr
    for name, reason in {
        "outside.txt": "outside the corpus folder",
        "loop.txt": "loop",
        "dangling.txt": "dangling",
        "pipe.txt": "FIFO",
        "locked.pdf": "encrypted PDF",
        "bomb.pdf": "memory budget for one file (300 MB",
    }.items():
        line = next((ln for ln in out.splitlines() if f"skipped {name}:" in ln), "")
        assert reason in line, (name, out)
    assert "informe-\\xe9xito" in out and "not valid UTF-8" in out  # indexed, with a note
    indexed = out.splitlines()[0]
    assert "4 document(s)" in indexed, out  # good, good-pdf, deep, informe-\xe9xito
