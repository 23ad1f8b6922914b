"""Per-file memory and time budgets (corpus.isolation): a PDF that expands to a gigabyte, or
reads for too long, is stopped and skipped with the reason; the files around it are read."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from corpus import isolation
from corpus.document import _Settings
from corpus.ingest import load_corpus
from corpus.readers import BadInput
from tests.corpus.conftest import make_pdf, make_stream_bomb

GOOD = [
    "Reintegration support for returnees",
    "",
    "Returnees in the coastal districts received vocational training and small grants",
    "from the municipal employment office, and case workers met partners each month",
    "to agree on referrals to health services and to psychosocial support.",
]


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """70 MB of drawing operators on one page: about 1 GB to read (measured)."""
    return make_stream_bomb(tmp_path_factory.mktemp("bomb") / "bomb.pdf", 70)


def _folder(tmp_path: Path, bomb: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    make_pdf(root / "a-good.pdf", GOOD)
    (root / "b-bomb.pdf").write_bytes(bomb.read_bytes())
    make_pdf(root / "c-good.pdf", GOOD)
    return root


def _reasons(report) -> dict[str, str]:
    return {s.path: s.reason for s in report.skipped}


def test_a_pdf_over_the_memory_budget_is_stopped_and_the_rest_is_read(tmp_path, bomb):
    assert bomb.stat().st_size < 1_000_000
    report = load_corpus(_folder(tmp_path, bomb), settings=_Settings(file_memory_mb=300))
    assert sorted(d.id for d in report.documents) == ["a-good", "c-good"]
    reason = _reasons(report)["b-bomb.pdf"]
    assert "memory budget" in reason and "300 MB" in reason


def test_a_pdf_over_the_time_budget_is_stopped_and_the_rest_is_read(tmp_path, bomb):
    started = time.monotonic()
    report = load_corpus(_folder(tmp_path, bomb), settings=_Settings(file_memory_mb=4096, file_seconds=1))
    assert sorted(d.id for d in report.documents) == ["a-good", "c-good"]
    assert "reading budget for one file (1 s" in _reasons(report)["b-bomb.pdf"]
    assert time.monotonic() - started < 60  # stopped, not read to the end and then refused


def test_a_reader_process_that_dies_is_reported_and_replaced(tmp_path, bomb):
    reader = isolation.ReaderProcess()
    try:
        good = make_pdf(tmp_path / "good.pdf", GOOD)
        assert "vocational training" in reader.read(good, "pdf", 30, 4096).text
        pid = reader._proc.pid
        killer = threading.Timer(0.3, os.kill, (pid, signal.SIGKILL))
        killer.start()
        with pytest.raises(BadInput, match="reader process died"):
            reader.read(bomb, "pdf", 30, 4096)
        killer.join()
        assert "vocational training" in reader.read(good, "pdf", 30, 4096).text
        assert reader._proc.pid != pid
    finally:
        reader.close()


def test_reader_errors_come_back_as_the_same_reasons(tmp_path):
    reader = isolation.ReaderProcess()
    try:
        (tmp_path / "fake.pdf").write_bytes(b"not a pdf at all")
        with pytest.raises(BadInput, match="no %PDF header"):
            reader.read(tmp_path / "fake.pdf", "pdf", 30, 4096)
        with pytest.raises(FileNotFoundError):
            reader.read(tmp_path / "missing.pdf", "pdf", 30, 4096)
    finally:
        reader.close()
    assert reader._proc is None


def test_budget_settings_are_validated():
    from pydantic import ValidationError

    from practice_search.config import Settings

    assert Settings(file_memory_mb=0).file_memory_mb == 0  # 0: read in the indexing process
    with pytest.raises(ValidationError, match="file_memory_mb"):
        Settings(file_memory_mb=-1)
    with pytest.raises(ValidationError, match="file_seconds"):
        Settings(file_seconds=0)
