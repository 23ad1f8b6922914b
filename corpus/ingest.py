"""Corpus ingestion: files -> Documents with section-aware passages and metadata.

Public API:
    load_corpus(path, settings=None) -> IngestReport
    load_document(path, root=None, settings=None) -> Document
    iter_documents(path, settings=None) -> Iterator[Document | Skipped]
    document_from_text(doc_id, text, ...) -> Document

Bad input (empty, binary, undecodable, corrupt, oversized, a broken JSON line) is reported in
the IngestReport and skipped, never fatal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.document import document_from_text, resolve_settings
from corpus.readers import (
    SUFFIXES,
    BadInput,
    iter_jsonl,
    read_html,
    read_markdown,
    read_text_file,
)
from corpus.types import Document, IngestReport, Skipped

__all__ = ["load_corpus", "load_document", "iter_documents", "document_from_text", "BadInput"]


@dataclass
class _Pages:
    """Pages of a paged file (PDF) that was read, for the report's pages-per-second figure."""

    n: int


@dataclass
class _Note:
    """A caveat about an ingested document (for IngestReport.warnings)."""

    path: str
    reason: str
    line: int | None = None



def _doc_id(path: Path, root: Path | None) -> tuple[str, str]:
    """(document id, source) for a file: its path under root without extension, '/'-separated."""
    if root is None or root == path:
        return path.stem, path.name
    rel = path.relative_to(root)
    return rel.with_suffix("").as_posix(), rel.as_posix()


def _read(path: Path, fmt: str):
    if fmt == "txt":
        return read_text_file(path)
    if fmt == "md":
        return read_markdown(path)
    if fmt == "html":
        return read_html(path)
    if fmt == "pdf":
        from corpus.pdf import read_pdf

        return read_pdf(path)
    if fmt == "docx":
        from corpus.office import read_docx

        return read_docx(path)
    if fmt == "odt":
        from corpus.office import read_odt

        return read_odt(path)
    raise BadInput(f"unsupported format {fmt!r}")


def _file_documents(
    path: Path, root: Path | None, settings: Any
) -> Iterator[Document | Skipped | _Note]:
    """Documents (and skips, notes) from one file."""
    fmt = SUFFIXES.get(path.suffix.lower())
    doc_id, source = _doc_id(path, root)
    if fmt is None:
        yield Skipped(source, f"unsupported file type {path.suffix or '(none)'!r}; "
                      f"supported: {', '.join(sorted(set(SUFFIXES)))}")
        return
    if fmt == "jsonl":
        try:
            if path.stat().st_size == 0:
                yield Skipped(source, "empty file")
                return
            any_line = False
            for lineno, rec in iter_jsonl(path):
                any_line = True
                if isinstance(rec, BadInput):
                    yield Skipped(source, str(rec), line=lineno)
                    continue
                canon = json.dumps(rec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                notes: list[str] = []
                try:
                    doc = document_from_text(
                        str(rec["id"]),
                        rec["text"],
                        source=source,
                        fmt="jsonl",
                        checksum=hashlib.sha256(canon.encode("utf-8")).hexdigest(),
                        meta=rec,
                        settings=settings,
                        notes=notes,
                    )
                except BadInput as exc:
                    yield Skipped(source, f"record {rec['id']!r}: {exc}", line=lineno)
                    continue
                for n in notes:
                    yield _Note(source, f"record {rec['id']!r}: {n}", line=lineno)
                yield doc
            if not any_line:
                yield Skipped(source, "no records (blank lines only)")
        except OSError as exc:
            yield Skipped(source, f"cannot read: {exc.strerror or exc}")
        return
    try:
        raw = _read(path, fmt)
        notes = list(raw.notes)
        doc = document_from_text(
            doc_id, raw.text, source=source, fmt=fmt, checksum=raw.checksum,
            meta=raw.meta, settings=settings, notes=notes,
        )
    except BadInput as exc:
        yield Skipped(source, str(exc))
        return
    except OSError as exc:
        yield Skipped(source, f"cannot read: {exc.strerror or exc}")
        return
    if raw.meta.get("pages"):
        yield _Pages(int(raw.meta["pages"]))
    for n in notes:
        yield _Note(source, n)
    yield doc


def _walk(root: Path) -> Iterator[Path]:
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).parts
        if any(part.startswith(".") or part == "__pycache__" for part in rel):
            continue
        if p.is_file():
            yield p


def _iter(path: str | Path, settings: Any) -> Iterator[Document | Skipped | _Note | Path]:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"corpus path not found: {p}")
    settings = resolve_settings(settings)
    if p.is_file():
        yield p
        yield from _file_documents(p, None, settings)
        return
    for f in _walk(p):
        yield f
        yield from _file_documents(f, p, settings)


def iter_documents(path: str | Path, settings: Any = None) -> Iterator[Document | Skipped]:
    """Documents and skipped inputs of a folder (recursively) or file, one at a time."""
    for item in _iter(path, settings):
        if isinstance(item, Document | Skipped):
            yield item


def load_corpus(path: str | Path, settings: Any = None) -> IngestReport:
    """Read every supported file under `path` (or the one file): documents sorted by id,
    skipped files and lines with reasons, notes on files read with caveats.

    Raises FileNotFoundError if `path` does not exist; bad files never raise.
    """
    report = IngestReport()
    by_id: dict[str, Document] = {}
    for item in _iter(path, settings):
        if isinstance(item, Path):
            if SUFFIXES.get(item.suffix.lower()):
                report.files_read += 1
            continue
        if isinstance(item, _Pages):
            report.pages_read += item.n
        elif isinstance(item, _Note):
            report.warnings.append(Skipped(item.path, item.reason, item.line))
        elif isinstance(item, Skipped):
            report.skipped.append(item)
        elif item.id in by_id:
            report.skipped.append(
                Skipped(item.source, f"duplicate document id {item.id!r} "
                        f"(already read from {by_id[item.id].source})")
            )
        else:
            by_id[item.id] = item
    report.documents = [by_id[k] for k in sorted(by_id)]
    return report


def load_document(path: str | Path, root: str | Path | None = None, settings: Any = None) -> Document:
    """One document from a file (the first record of a JSON Lines file).

    Raises BadInput (a ValueError) with the reason when the file cannot be ingested.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"document not found: {p}")
    r = Path(root) if root is not None else None
    first_skip: Skipped | None = None
    for item in _file_documents(p, r, resolve_settings(settings)):
        if isinstance(item, Document):
            return item
        if isinstance(item, Skipped) and first_skip is None:
            first_skip = item
    if first_skip is not None:
        where = f"{first_skip.path}:{first_skip.line}" if first_skip.line else first_skip.path
        raise BadInput(f"{where}: {first_skip.reason}")
    raise BadInput(f"{p}: no document")
