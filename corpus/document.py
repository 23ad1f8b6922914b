"""One text and its explicit metadata -> a Document: passages bounded in model tokens, with
their section and language, and the document's metadata, each field with its provenance."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from corpus.chunking import chunk_paragraphs, get_counter
from corpus.countries import find_countries
from corpus.explicit import explicit_from, published_date
from corpus.isolation import FILE_MEMORY_MB, FILE_SECONDS
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
from corpus.places import (
    OPENING_CHARS,
    WEIGHT_SUMMARY,
    collection_places,
    primary_countries,
    section_weight,
    title_countries,
    weigh_mentions,
)
from corpus.readers import BadInput
from corpus.structure import parse_structure
from corpus.types import Countries, Document, InferredObjective, Objectives, Passage

__all__ = ["document_from_text", "MAX_PASSAGES_PER_DOCUMENT", "METADATA_SCAN_CHARS"]

#: Most passages one document yields; beyond this the document is cut and a note is made.
MAX_PASSAGES_PER_DOCUMENT = 5000
#: Characters of body text scanned for countries, dates, organisations and objective mentions.
METADATA_SCAN_CHARS = 300_000


@dataclass
class _Settings:
    passage_tokens: int = 200
    passage_overlap: int = 32
    file_memory_mb: int = FILE_MEMORY_MB
    file_seconds: int = FILE_SECONDS


def _sections(passages: list[Passage]) -> list[tuple[str, list[str]]]:
    """Consecutive passages grouped by their section: (label, texts)."""
    out: list[tuple[str, list[str]]] = []
    for p in passages:
        if out and out[-1][0] == p.section:
            out[-1][1].append(p.text)
        else:
            out.append((p.section, [p.text]))
    return out


def resolve_settings(settings: Any) -> Any:
    if settings is not None:
        return settings
    try:
        from practice_search.config import get_settings

        return get_settings()
    except Exception:  # noqa: BLE001 - settings from the environment may be invalid; defaults do
        return _Settings()


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
    settings = resolve_settings(settings)
    notes = notes if notes is not None else []
    meta = meta or {}
    ex = explicit_from(meta)
    notes.extend(ex.problems)
    st = parse_structure(text, detect_title=not ex.title, known_title=ex.title,
                         trust_headings=fmt in ("pdf", "docx", "odt"), layout_headings=fmt == "pdf")
    prov: dict[str, str] = {}

    # Title
    if ex.title:
        title, prov["title"] = ex.title, str(meta.get("title_source") or "metadata:title")
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
    doc_lang = ex.lang or detect_language(content or title, default=str(meta.get("doc_lang") or "und"))
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
        if not re.search(r"[^\W\d_]{2}", chunk):
            continue  # no word at all ("2", "|__|"): nothing to find it by
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
    if not passages and ex.title and not text.strip():
        # a metadata-only record (a catalogue entry): its title is its passage
        passages.append(Passage(id=f"{doc_id}#0", doc_id=doc_id, ordinal=0, text=title,
                                section="Title", section_kind="other",
                                lang=detect_language(title, default=doc_lang)))
        prov["passages"] = "title only (a record without body text)"
    if not passages:
        raise BadInput("no text left after removing boilerplate and field labels")

    amount: Counter[str] = Counter()
    for p in passages:
        amount[p.lang] += len(p.text)
    languages = tuple(lang for lang, _ in amount.most_common() if lang != "und") or (
        ("und",) if amount else ()
    )
    prov["languages"] = "langdetect per passage (seed 0)"

    # Type and URL
    if ex.doc_type:
        doc_type, prov["doc_type"] = ex.doc_type, "metadata:doc_type"
    else:
        doc_type, clue = guess_doc_type(text, title, st.masthead, st.fields)
        if doc_type:
            prov["doc_type"] = clue

    # Countries: explicit (fields), primary (where it takes place), mentioned (the rest)
    exp_c, c_src = explicit_countries(st.fields, "")
    if ex.countries:
        exp_c = list(dict.fromkeys(ex.countries + exp_c))
        c_src.insert(0, "metadata:countries")
    title_c, title_places = title_countries(title) if title else ([], [])
    segments: list[tuple[str, float]] = []
    scanned = 0
    for p in passages:
        if scanned > METADATA_SCAN_CHARS:
            break
        w = section_weight(p.section, p.section_kind)
        segments.append((p.text, max(w, WEIGHT_SUMMARY) if scanned < OPENING_CHARS and w >= 1 else w))
        scanned += len(p.text)
    evidence = weigh_mentions(segments)
    items = collection_places(_sections(passages[: len(segments)]), doc_type, len(passages))
    primary_c, why = primary_countries(evidence, exp_c, title_c, title_places, items)
    mentioned_c = [c for c in find_countries(content) if c not in primary_c]
    if c_src:
        prov["countries.explicit"] = ", ".join(c_src)
    if why:
        prov["countries.primary"] = ", ".join(why)
    if mentioned_c:
        prov["countries.mentioned"] = "text"
    if evidence.donors:
        prov["countries.donors"] = f"named as donors, not places: {', '.join(sorted(evidence.donors))}"

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

    # Publication date, years and dates
    published, pub_src = published_date(ex, meta, st.fields)
    if published:
        prov["published"] = pub_src
    top_year = int(published[:4]) if published else None
    field_text = "\n".join(v for _, v in st.fields)
    dates = sorted(set(ex.dates) | set(find_dates(field_text + "\n" + content)))
    if top_year:
        dates = [d for d in dates if int(d[:4]) <= top_year]
    if ex.years:
        years, prov["years"] = sorted(set(ex.years)), "metadata:years"
    else:
        years, y_src = years_from_fields(st.fields)
        if top_year and any(y > top_year for y in years):
            years = [y for y in years if y <= top_year]  # a plan's future years are not covered yet
            y_src.append(f"none after {top_year}, the publication year")
        if years:
            prov["years"] = ", ".join(y_src)
        else:
            date_lines = "\n".join(v for label, v in st.fields if label == "date line")
            years = find_years(date_lines + "\n" + content, max_year=top_year)
            if years:
                prov["years"] = "text" + (f" (none after {top_year}, the publication year)" if top_year else "")
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
        countries=Countries(tuple(exp_c), tuple(mentioned_c), tuple(primary_c)),
        objectives=Objectives(tuple(exp_o), tuple(mentioned_o), inferred),
        years=tuple(years),
        dates=tuple(dates),
        published=published,
        organizations=tuple(orgs),
        doc_type=doc_type,
        url=url,
        provenance=prov,
        checksum=checksum,
    )
