"""Fixtures for the corpus tests: the seeds ingested once, and tiny generated files."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.ingest import load_corpus
from corpus.types import Document, IngestReport


@pytest.fixture(scope="session")
def seeds_report(seeds_dir: Path) -> IngestReport:
    return load_corpus(seeds_dir)


@pytest.fixture(scope="session")
def seed_docs(seeds_report: IngestReport) -> dict[str, Document]:
    """Seed documents by their number prefix ('000' ... '004')."""
    return {d.id.split("_")[0]: d for d in seeds_report.documents}


def make_pdf(path: Path, lines: list[str]) -> Path:
    """Write a minimal one-page PDF showing `lines` in Helvetica (ASCII text only)."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "72 740 Td"]
    for line in lines:
        safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({safe}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _write_pdf(path, objects)


def make_stream_bomb(path: Path, megabytes: int) -> Path:
    """A one-page PDF of a few hundred KB whose compressed content stream expands to
    `megabytes` MB of text-drawing operators: reading it costs about 14x that in memory."""
    import zlib

    op = b"BT /F1 12 Tf 72 700 Td (Returnees were offered training.) Tj ET\n"
    stream = zlib.compress(op * (megabytes * 1024 * 1024 // len(op)), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n"
        + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _write_pdf(path, objects)


def _write_pdf(path: Path, objects: list[bytes]) -> Path:
    """Numbered objects, a cross-reference table and a trailer."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path
