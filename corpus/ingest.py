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
from corpus.isolation import FILE_MEMORY_MB, FILE_SECONDS, ISOLATED_FORMATS, read_isolated
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



def _printable(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (kept by the OS as surrogates) written as
    \\xNN escapes, so the same file always gets the same id and JSON can hold it."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _doc_id(path: Path, root: Path | None) -> tuple[str, str]:
    """(document id, source) for a file: its path under root without extension, '/'-separated."""
    if root is None or root == path:
        return _printable(path.stem), _printable(path.name)
    rel = path.relative_to(root)
    return _printable(rel.with_suffix("").as_posix()), _printable(rel.as_posix())


def read_here(path: Path, fmt: str, pdf_seconds: float | None = None):
    """One file's RawText, read in this process (`pdf_seconds`: the PDF page-time budget)."""
    if fmt == "txt":
        return read_text_file(path)
    if fmt == "md":
        return read_markdown(path)
    if fmt == "html":
        return read_html(path)
    if fmt == "pdf":
        from corpus.pdf import PDF_SECONDS_BUDGET, read_pdf

        return read_pdf(path, PDF_SECONDS_BUDGET if pdf_seconds is None else pdf_seconds)
    if fmt == "docx":
        from corpus.office import read_docx

        return read_docx(path)
    if fmt == "odt":
        from corpus.odt import read_odt

        return read_odt(path)
    raise BadInput(f"unsupported format {fmt!r}")


def _read(path: Path, fmt: str, settings: Any):
    """PDF and office files in the watched reader process (corpus.isolation) unless the
    settings turn it off (file_memory_mb 0); the text formats, bounded by size, here."""
    memory_mb = int(getattr(settings, "file_memory_mb", FILE_MEMORY_MB))
    if fmt in ISOLATED_FORMATS and memory_mb > 0:
        seconds = float(getattr(settings, "file_seconds", FILE_SECONDS))
        return read_isolated(path, fmt, seconds, memory_mb)
    return read_here(path, fmt)


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
        raw = _read(path, fmt, settings)
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
    except RecursionError:
        yield Skipped(source, "structure nested too deeply to read (thousands of levels)")
        return
    except Exception as exc:  # noqa: BLE001 - one file's failure is that file's skip reason
        yield Skipped(source, f"could not be read ({type(exc).__name__}: {str(exc)[:200]})")
        return
    if _printable(path.name) != path.name:
        notes.append("file name is not valid UTF-8: its bytes are written as \\xNN in the id")
    if raw.meta.get("pages"):
        yield _Pages(int(raw.meta["pages"]))
    for n in notes:
        yield _Note(source, n)
    yield doc


def _walk(root: Path) -> Iterator[Path | Skipped]:
    """Files under root in name order, without following symbolic links out of it; links,
    loops and special files are reported as skipped."""
    import os
    import stat

    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        here = Path(dirpath)
        for name in sorted(filenames) + [d for d in dirnames if (here / d).is_symlink()]:
            if name.startswith("."):
                continue
            p = here / name
            source = _printable(p.relative_to(root).as_posix())
            try:
                if p.is_symlink():
                    try:
                        target = p.resolve(strict=True)
                    except RuntimeError:
                        yield Skipped(source, "symbolic link loop")
                        continue
                    except OSError:
                        yield Skipped(source, "dangling symbolic link (its target does not exist)")
                        continue
                    if target.is_dir():
                        yield Skipped(source, "symbolic link to a folder: not followed")
                        continue
                    if not target.is_relative_to(real_root):
                        yield Skipped(source, "symbolic link to a file outside the corpus folder: not followed")
                        continue
                mode = p.stat().st_mode
            except OSError as exc:
                yield Skipped(source, f"cannot read: {exc.strerror or exc}")
                continue
            if not stat.S_ISREG(mode):
                kind = ("FIFO (named pipe)" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode)
                        else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "special file")
                yield Skipped(source, f"not a regular file: a {kind}")
                continue
            yield p



def read_files(files: list[Path], root: Path | None, settings: Any) -> Iterator[list[Document | Skipped | _Note]]:
    """What each file gives (documents, skips, notes), file by file: the work a `reader`
    passed to `load_corpus` spreads over workers (indexer.distributed)."""
    for f in files:
        yield list(_file_documents(f, root, settings))


def _iter(path: str | Path, settings: Any, reader=None) -> Iterator[Document | Skipped | _Note | Path]:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"corpus path not found: {p}")
    settings = resolve_settings(settings)
    if p.is_file():
        yield p
        yield from _file_documents(p, None, settings)
        return
    if reader is None:
        for f in _walk(p):
            if isinstance(f, Skipped):
                yield f
                continue
            yield f
            yield from _file_documents(f, p, settings)
        return
    walked = list(_walk(p))
    per_file = iter(reader([f for f in walked if not isinstance(f, Skipped)], p, settings))
    for f in walked:
        yield f
        if not isinstance(f, Skipped):
            yield from next(per_file)


def iter_documents(path: str | Path, settings: Any = None) -> Iterator[Document | Skipped]:
    """Documents and skipped inputs of a folder (recursively) or file, one at a time."""
    for item in _iter(path, settings):
        if isinstance(item, Document | Skipped):
            yield item


def load_corpus(path: str | Path, settings: Any = None, reader=None) -> IngestReport:
    """Read every supported file under `path` (or the one file): documents sorted by id,
    skipped files and lines with reasons, notes on files read with caveats. `reader`:
    a stand-in for `read_files` (same arguments, same results in file order) that reads
    the files elsewhere, e.g. on a Ray cluster.

    Raises FileNotFoundError if `path` does not exist; bad files never raise.
    """
    report = IngestReport()
    by_id: dict[str, Document] = {}
    for item in _iter(path, settings, reader):
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
