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
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.chunking import chunk_paragraphs, get_counter
from corpus.countries import find_countries, resolve_country
from corpus.language import detect_language
from corpus.metadata import (
    explicit_countries,
    explicit_objectives,
    find_dates,
    find_organizations,
    find_years,
    guess_doc_type,
    years_from_fields,
)
from corpus.objectives import find_mentioned_objectives, infer_objectives
from corpus.readers import (
    SUFFIXES,
    BadInput,
    iter_jsonl,
    read_html,
    read_markdown,
    read_pdf,
    read_text_file,
)
from corpus.structure import parse_structure
from corpus.types import (
    Countries,
    Document,
    InferredObjective,
    IngestReport,
    Objectives,
    Passage,
    Skipped,
)

__all__ = ["load_corpus", "load_document", "iter_documents", "document_from_text", "BadInput"]

#: Most passages one document yields; beyond this the document is cut and a note is made.
MAX_PASSAGES_PER_DOCUMENT = 5000
#: Characters of body text scanned for countries, dates, organisations and objective mentions.
METADATA_SCAN_CHARS = 300_000


@dataclass
class _Note:
    """A caveat about an ingested document (for IngestReport.warnings)."""

    path: str
    reason: str
    line: int | None = None


@dataclass
class _Settings:
    passage_tokens: int = 200
    passage_overlap: int = 32


def _settings(settings: Any) -> Any:
    if settings is not None:
        return settings
    try:
        from practice_search.config import get_settings

        return get_settings()
    except Exception:  # noqa: BLE001 - settings from the environment may be invalid; defaults do
        return _Settings()


def _ensure_list(v: Any) -> list[Any]:
    if v is None or v == "":
        return []
    if isinstance(v, list | tuple):
        return list(v)
    if isinstance(v, str):
        return [p.strip() for p in re.split(r"[;,|]", v) if p.strip()]
    return [v]


@dataclass
class _Explicit:
    """Explicit metadata given alongside the text (JSONL fields, front matter, HTML tags)."""

    title: str = ""
    countries: list[str] = field(default_factory=list)
    objectives: list[int] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    doc_type: str | None = None
    url: str | None = None
    lang: str | None = None
    problems: list[str] = field(default_factory=list)


def _explicit_from(meta: dict[str, Any]) -> _Explicit:
    e = _Explicit()
    e.title = str(meta.get("title") or "").strip()
    for c in _ensure_list(meta.get("countries", meta.get("country"))):
        try:
            e.countries.append(resolve_country(str(c)))
        except ValueError as exc:
            e.problems.append(f"countries: {exc}")
    for o in _ensure_list(meta.get("objectives", meta.get("gcm_objectives"))):
        try:
            n = int(str(o).strip())
        except ValueError:
            e.problems.append(f"objectives: {o!r} is not a number from 1 to 23")
            continue
        if 1 <= n <= 23:
            e.objectives.append(n)
        else:
            e.problems.append(f"objectives: {n} is outside 1-23")
    for y in _ensure_list(meta.get("years", meta.get("year"))):
        m = re.fullmatch(r"\s*(\d{4})\s*(?:-|–|to)\s*(\d{4})\s*", str(y))
        if m and int(m.group(1)) <= int(m.group(2)) <= int(m.group(1)) + 50:
            e.years.extend(range(int(m.group(1)), int(m.group(2)) + 1))
        elif re.fullmatch(r"\s*\d{4}\s*", str(y)):
            e.years.append(int(str(y).strip()))
        else:
            e.problems.append(f"years: {y!r} is not a year")
    for d in _ensure_list(meta.get("dates", meta.get("date"))):
        d = str(d).strip()
        if re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", d):
            e.dates.append(d)
        else:
            found = find_dates(d)
            if found:
                e.dates.extend(found)
            else:
                e.problems.append(f"date: {d!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
    e.organizations = [str(o).strip() for o in _ensure_list(meta.get("organizations")) if str(o).strip()]
    e.doc_type = (str(meta["doc_type"]).strip().lower() or None) if meta.get("doc_type") else None
    e.url = str(meta["url"]).strip() if meta.get("url") else None
    e.lang = str(meta["lang"]).strip().lower()[:2] if meta.get("lang") else None
    return e


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def document_from_text(
    doc_id: str,
    text: str,
    *,
    source: str = "",
    fmt: str = "txt",
    checksum: str = "",
    meta: dict[str, Any] | None = None,
    settings: Any = None,
    notes: list[str] | None = None,
) -> Document:
    """Build a Document (passages and metadata) from plain text and optional explicit metadata.

    Raises BadInput when nothing of the text is left once boilerplate is removed.
    """
    settings = _settings(settings)
    notes = notes if notes is not None else []
    meta = meta or {}
    ex = _explicit_from(meta)
    notes.extend(ex.problems)
    st = parse_structure(text, detect_title=not ex.title, known_title=ex.title)
    prov: dict[str, str] = {}

    # Title
    if ex.title:
        title, prov["title"] = ex.title, "metadata:title"
    elif st.title:
        title, prov["title"] = st.title, "heading"
    elif meta.get("pdf_title") or meta.get("html_title"):
        title = str(meta.get("pdf_title") or meta.get("html_title"))
        prov["title"] = "metadata:pdf" if meta.get("pdf_title") else "html:<title>"
    else:
        first = next((p for s in st.sections for p in s.paragraphs), "")
        title = (first.split("\n")[0][:100].rsplit(" ", 1)[0] + "...") if len(first) > 100 else first
        title = title or doc_id
        prov["title"] = "first line" if first else "id"

    content = st.content_text()
    if len(content) > METADATA_SCAN_CHARS:
        notes.append(f"metadata taken from the first {METADATA_SCAN_CHARS:,} characters of the body "
                     f"({len(content):,} in all)")
        content = content[:METADATA_SCAN_CHARS]
    doc_lang = ex.lang or detect_language(content or title, default="und")
    if ex.lang:
        prov["lang"] = "metadata:lang"

    # Passages: one section at a time, each bounded in model tokens.
    counter = get_counter()
    passages: list[Passage] = []
    seen: set[str] = set()
    chunks = (
        (section, chunk)
        for section in st.sections
        for chunk in chunk_paragraphs(
            section.paragraphs, settings.passage_tokens, settings.passage_overlap, counter
        )
    )
    for section, chunk in chunks:
        key = _norm(chunk)
        if not key or key in seen:
            continue  # the same passage again (a page copied twice)
        seen.add(key)
        if len(passages) >= MAX_PASSAGES_PER_DOCUMENT:
            notes.append(f"truncated: kept the first {MAX_PASSAGES_PER_DOCUMENT} passages")
            break
        ordinal = len(passages)
        passages.append(
            Passage(
                id=f"{doc_id}#{ordinal}",
                doc_id=doc_id,
                ordinal=ordinal,
                text=chunk,
                section=section.label,
                section_kind=section.kind,
                lang=detect_language(chunk, default=doc_lang),
            )
        )
    if not passages:
        raise BadInput("no text left after removing boilerplate and field labels")

    amount: Counter[str] = Counter()
    for p in passages:
        amount[p.lang] += len(p.text)
    languages = tuple(lang for lang, _ in amount.most_common() if lang != "und") or (
        ("und",) if amount else ()
    )
    prov["languages"] = "langdetect per passage (seed 0)"

    # Countries
    exp_c, c_src = explicit_countries(st.fields, title)
    if ex.countries:
        exp_c = list(dict.fromkeys(ex.countries + exp_c))
        c_src.insert(0, "metadata:countries")
    mentioned_c = [c for c in find_countries(content) if c not in exp_c]
    if c_src:
        prov["countries.explicit"] = ", ".join(c_src)
    if mentioned_c:
        prov["countries.mentioned"] = "text"

    # Objectives
    exp_o, o_src = explicit_objectives(st.fields)
    if ex.objectives:
        exp_o = sorted(set(ex.objectives) | set(exp_o))
        o_src.insert(0, "metadata:objectives")
    mentioned_o = [n for n in find_mentioned_objectives(content) if n not in exp_o]
    pieces: list[tuple[str, str]] = [(title, doc_lang)]
    scanned = 0
    for p in passages:
        if scanned > METADATA_SCAN_CHARS:
            break
        pieces.append((p.text, p.lang))
        scanned += len(p.text)
    inferred: tuple[InferredObjective, ...] = infer_objectives(pieces)
    if o_src:
        prov["objectives.explicit"] = ", ".join(o_src)
    if mentioned_o:
        prov["objectives.mentioned"] = "text: objective N with a GCM cue"
    if inferred:
        prov["objectives.inferred"] = "bm25 against objective descriptions (corpus/data)"

    # Years and dates
    field_text = "\n".join(v for _, v in st.fields)
    dates = sorted(set(ex.dates) | set(find_dates(field_text + "\n" + content)))
    if ex.years:
        years, prov["years"] = sorted(set(ex.years)), "metadata:years"
    else:
        years, y_src = years_from_fields(st.fields)
        if years:
            prov["years"] = ", ".join(y_src)
        else:
            date_lines = "\n".join(v for label, v in st.fields if label == "date line")
            years = find_years(date_lines + "\n" + content)
            if years:
                prov["years"] = "text"
    if ex.dates:
        prov["dates"] = "metadata:date"
    elif dates:
        prov["dates"] = "fields and text"

    # Organisations
    orgs, org_src = find_organizations(st.fields, title + "\n" + content)
    if ex.organizations:
        orgs = list(dict.fromkeys(ex.organizations + orgs))
        org_src.insert(0, "metadata:organizations")
    if org_src:
        prov["organizations"] = ", ".join(org_src)

    # Type and URL
    if ex.doc_type:
        doc_type, prov["doc_type"] = ex.doc_type, "metadata:doc_type"
    else:
        doc_type, clue = guess_doc_type(text, title, st.masthead, st.fields)
        if doc_type:
            prov["doc_type"] = clue
    url = ex.url
    if url:
        prov["url"] = "metadata:url"
    if st.dropped_duplicates:
        prov["dropped_duplicates"] = f"{st.dropped_duplicates} repeated paragraph(s)"

    return Document(
        id=doc_id,
        title=title,
        source=source,
        format=fmt,
        passages=tuple(passages),
        languages=languages,
        countries=Countries(tuple(exp_c), tuple(mentioned_c)),
        objectives=Objectives(tuple(exp_o), tuple(mentioned_o), inferred),
        years=tuple(years),
        dates=tuple(dates),
        organizations=tuple(orgs),
        doc_type=doc_type,
        url=url,
        provenance=prov,
        checksum=checksum,
    )


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
        return read_pdf(path)
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
    settings = _settings(settings)
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
        if isinstance(item, _Note):
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
    for item in _file_documents(p, r, _settings(settings)):
        if isinstance(item, Document):
            return item
        if isinstance(item, Skipped) and first_skip is None:
            first_skip = item
    if first_skip is not None:
        where = f"{first_skip.path}:{first_skip.line}" if first_skip.line else first_skip.path
        raise BadInput(f"{where}: {first_skip.reason}")
    raise BadInput(f"{p}: no document")
