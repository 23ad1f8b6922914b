"""PDF reader with layout (pypdfium2): headings from font size and weight, page furniture out.

A report PDF is read page by page into lines that carry their font size, weight and position.
Then, over the whole document:
- running headers and footers (a line repeated at the top or bottom of many pages, digits
  aside) and page marks ("12", "Page 3 of 40", "3 | P a g e") are removed;
- table-of-contents and list-of-figures pages, and dot-leader lines anywhere, are dropped;
- footnotes (small lines under a page's text, starting with a number the page carries as a
  note mark) leave the page, so that a paragraph runs on across it, and come at the end
  under "Notes";
- lines set in a size larger than the body text and rare (at most `HEADING_SHARE` of the
  text: chapters set larger than a long annex are text), or bold and standing alone, are
  headings; they come out as markdown headings ("## 3.2 Effectiveness"), which
  `corpus.structure` turns into sections (and no other line is guessed to be one). A table's
  rows are not headings: a bold row under a table caption, or one whose words stand a column
  gutter apart;
- lines are joined into paragraphs by their spacing, with hyphenation at line ends repaired
  (a hyphen is kept when the document writes the joined word with one elsewhere).
Text follows the order in which the file draws it, which is the reading order of multi-column
pages as word processors and layout programs write them; a table row drawn as one line stays
one line.

The title is the metadata title when it is a real one, else the largest text on the first
page (a form label such as "EVALUATION BRIEF" is joined to the text under it), else the first
heading; `meta["title_source"]` says which.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from corpus.countries import fold
from corpus.furniture import footnotes, furniture, is_mark_line, is_page_mark, toc_lines
from corpus.pdf_lines import Line as _Line
from corpus.pdf_lines import page_lines as _page_lines
from corpus.readers import MAX_PDF_BYTES, MAX_TEXT_BYTES, BadInput, RawText, read_bounded
from corpus.sections import is_caption
from corpus.titles import is_form_label, real_title, strip_label_prefix

__all__ = ["read_pdf", "PDF_SECONDS_BUDGET"]

#: Longest a PDF is read for (checked between pages); the pages read by then are kept.
PDF_SECONDS_BUDGET = 120.0
#: Most of a document's text a heading size may hold (the rest is paragraphs).
HEADING_SHARE = 0.1


# --- headings, paragraphs ----------------------------------------------------------------



def _is_heading(ln: _Line, body: float, large: bool) -> bool:
    """A heading candidate: `large` when its size is one of the document's heading sizes."""
    text = ln.text.strip()
    words = text.split()
    if not words or len(words) > 18 or len(text) > 160 or not re.search(r"[^\W\d_]{3}", text):
        return False
    if ln.columns or is_caption(text) or is_page_mark(text) or text[:1] in "•-–(" or _CITATION.search(text):
        return False
    if large:
        # a long line ending in ":" introduces a list: it is text, not a heading
        return not re.search(r"[,;]$", text) and not (text.endswith(":") and len(words) > 8)
    return ln.bold and ln.size >= body * 0.95 and len(words) <= 12 and not re.search(r"[.,;:]$", text)


#: A reference list's entry: "IOM. (2019). Handbook ...", "Lietaert, I. (2019). The ...".
_CITATION = re.compile(r"^[^\W\d_][^()]{0,80}\(\s*(?:19|20)\d{2}[a-z]?\s*\)[.,:]")

_BULLET_START = re.compile(r"^(?:[•▪○◦\-–]|\d{1,2}[.)]|[a-z][.)])\s")


def _stands_alone(prev: _Line | None, ln: _Line, nxt: _Line | None) -> bool:
    """A bold line is a heading only on a line of its own: not the end of a bold sentence
    (the line before it bold and close) nor the start of one running on, nor a line inside a
    sentence (the line before it close and running on, or the next one going on in lower case)."""
    if not ln.text[:1].isupper() and not ln.text[:1].isdigit():
        return False
    close_above = prev is not None and prev.page == ln.page and 0 < prev.base - ln.base <= 1.55 * ln.size
    close_below = nxt is not None and nxt.page == ln.page and 0 < ln.base - nxt.base <= 1.55 * ln.size
    if close_above and not prev.bold and re.search(r"[a-zà-ÿ,]$", prev.text):
        return False
    if close_below and nxt.text[:1].islower():
        return False
    if prev is not None and prev.page == ln.page and prev.bold and 0 < prev.base - ln.base <= 1.55 * ln.size:
        return re.search(r"[.:!?]$", prev.text) is not None
    if nxt is not None and nxt.page == ln.page and nxt.bold and 0 < ln.base - nxt.base <= 1.55 * ln.size:
        return nxt.text[:1].isupper() or nxt.text[:1].isdigit()
    return True


def _is_table_caption(text: str) -> bool:
    """A table's caption ("Table 5. ...", "Tableau 2 :", "Cuadro 3")."""
    return is_caption(text) and re.match(r"(?i)(?:tables?|tableaux?|tablas?|cuadros?)\b", fold(text).strip()) is not None


def _join_wrapped(a: str, b: str) -> str:
    """Join line a and the next line b of one paragraph. A word broken at the line end keeps a
    soft-hyphen mark, resolved for the whole text once the document's vocabulary is known."""
    if a.endswith("\u00ad") or (re.search(r"[^\W\d_]-$", a) and b[:1].islower()):
        return a[:-1] + "\u00ad" + b
    return a + " " + b


def _layout_text(pages: list[list[_Line]], drop: set[tuple[int, int]]) -> tuple[str, list[str]]:
    """Markdown-like text (headings as '#' lines, paragraphs split by blank lines) and the
    headings in order."""
    body_lines = [ln for p, lines in enumerate(pages) for i, ln in enumerate(lines) if (p, i) not in drop]
    if not body_lines:
        return "", []
    weight: Counter[float] = Counter()
    for ln in body_lines:
        weight[round(ln.size * 2) / 2] += len(ln.text)
    body = weight.most_common(1)[0][0] or 10.0
    # heading sizes: larger than the body text and rare. A report whose annexes (tables,
    # questionnaires) are set smaller than its chapters has its chapters' size as a large
    # share of its text: that size is text, not headings.
    total = sum(weight.values())
    large_sizes = {s for s, n in weight.items() if s >= body * 1.18 and n <= HEADING_SHARE * total}
    head_sizes = sorted({round(ln.size) for ln in body_lines if round(ln.size * 2) / 2 in large_sizes}, reverse=True)
    level_of = {s: min(i + 1, 5) for i, s in enumerate(head_sizes)}
    vocab = {w.lower() for ln in body_lines for w in re.findall(r"[^\W\d_]+-[^\W\d_]+", ln.text[:-1])}
    # footnotes leave the page's text (where they would cut a paragraph running on to the
    # next page) and come at the end, under "Notes"
    notes = footnotes(pages, drop, body)
    note_paras: list[str] = []
    for (p, i), starts in sorted(notes.items()):
        t = pages[p][i].text
        if starts or not note_paras:
            note_paras.append(t)
        else:
            note_paras[-1] = _join_wrapped(note_paras[-1], t)
    # a note mark on a line of its own (raised after a line's last word) is not text
    marks = {(p, i) for p, lines in enumerate(pages) for i, ln in enumerate(lines)
             if (p, i) not in notes and is_mark_line(ln, body)}
    if notes or marks:
        body_lines = [ln for p, lines in enumerate(pages) for i, ln in enumerate(lines)
                      if (p, i) not in drop and (p, i) not in notes and (p, i) not in marks]

    blocks: list[str] = []
    headings: list[str] = []
    para: list[str] = []
    heading: list[str] = []
    head_level = 0
    prev: _Line | None = None

    def flush_para() -> None:
        if para:
            blocks.append("\n".join(para))
            para.clear()

    def flush_heading() -> None:
        nonlocal head_level
        if heading:
            text = " ".join(heading)
            blocks.append("#" * head_level + " " + text)
            headings.append(text)
            heading.clear()

    caption: _Line | None = None  # the table caption just read, and the lines it runs on to
    for k, ln in enumerate(body_lines):
        text = ln.text
        nxt = body_lines[k + 1] if k + 1 < len(body_lines) else None
        near = caption is not None and caption.page == ln.page and 0 < caption.base - ln.base <= 3.5 * ln.size
        if _is_table_caption(text):
            caption = ln
        elif near and prev is caption and caption.bold == ln.bold and abs(ln.size - caption.size) < 0.5 \
                and caption.base - ln.base <= 1.55 * ln.size and not ln.columns:
            caption = ln  # the caption's second line
        else:
            caption = None
            if near and ln.bold:
                # the bold row under a table's caption is the table's header row
                flush_heading()
                flush_para()
                para.append(text)
                prev = ln
                continue
        large = round(ln.size * 2) / 2 in large_sizes
        if _is_heading(ln, body, large) and (large or _stands_alone(prev, ln, nxt)):
            level = level_of.get(round(ln.size), len(head_sizes) + 1)
            same = (heading and prev is not None and prev.page == ln.page
                    and abs(prev.size - ln.size) < 1.5 and 0 < prev.base - ln.base <= 2.2 * ln.size)
            if not same:
                flush_para()
                flush_heading()
                head_level = min(level, 6)
            heading.append(text)
            prev = ln
            continue
        flush_heading()
        new_para = (
            prev is None
            or not para
            # a page break ends a paragraph unless its sentence runs on ("... the" / "JI-HoA ...")
            or (prev.page != ln.page and (re.search(r"[.!?:»\")]$", para[-1])
                                          or not (ln.text[:1].islower() or re.search(r"[a-zà-ÿ,]$", para[-1]))))
            or (prev.page == ln.page and (prev.base - ln.base > 1.55 * max(ln.size, prev.size)
                                          or ln.base > prev.base + 2))
            or abs(ln.size - prev.size) > 0.15 * max(ln.size, prev.size)
        )
        if new_para or _BULLET_START.match(text):
            flush_para()
            para.append(text)
        else:
            para[-1] = _join_wrapped(para[-1], text)
        prev = ln
    flush_para()
    flush_heading()
    if note_paras:
        blocks.append("## Notes")
        blocks.extend(note_paras)

    def join_hyphenated(m: re.Match[str]) -> str:
        # pdfium joins a word broken at a line end itself and marks the break: keep a hyphen
        # where the document writes the word with one elsewhere ("follow-up"), or where two
        # common words make no word joined ("much-needed", not "muchneeded")
        a, b = m.group(1), m.group(2)
        keep = f"{a}-{b}".lower() in vocab or _compound(a, b)
        return f"{a}-{b}" if keep else a + b

    text = "\n\n".join(blocks)
    text = re.sub(r"([^\W\d_]+)\u00ad\s*([^\W\d_]+)", join_hyphenated, text).replace("\u00ad", "")
    return text, headings


def _zipf(word: str) -> float:
    """How common a word is in English, French or Spanish (wordfreq's Zipf scale, 0-8)."""
    from wordfreq import zipf_frequency

    return max(zipf_frequency(word, lang) for lang in ("en", "fr", "es"))


def _compound(a: str, b: str) -> bool:
    """Two common words ("much", "needed") whose joining is a rare word or none: a compound
    broken at its hyphen, not one word broken at a line end ("reintegra-tion")."""
    return _zipf(a + b) < 3.0 and min(_zipf(a), _zipf(b)) >= 3.0


# --- title and dates ---------------------------------------------------------------------

# --- title --------------------------------------------------------------------------------

_NEW_LABEL = re.compile(r"^[A-ZÀ-Ý][^:]{2,100}:(?:\s|$)")
_MONTH_YEAR = re.compile(
    r"\b(?:\d{1,2}(?:st|nd|rd|th|er)?\s+(?:de\s+)?)?(?:january|february|march|april|may|june|"
    r"july|august|september|october|november|december|enero|febrero|marzo|abril|mayo|junio|"
    r"julio|agosto|septiembre|octubre|noviembre|diciembre|janvier|fevrier|mars|avril|mai|juin|"
    r"juillet|aout|septembre|octobre|novembre|decembre)\s+(?:de\s+)?(?:19|20)\d{2}\b|"
    r"\b(?:19|20)\d{2}\b",
    re.I,
)


def _title_from_page(lines: list[_Line]) -> str:
    """The largest text of the (cover) page; a form label above it is kept as a prefix."""
    blocks: list[tuple[float, bool, int, str]] = []  # size, bold, order, text
    prev: _Line | None = None
    for ln in lines:
        if (prev is not None and blocks and abs(prev.size - ln.size) < 0.6
                and 0 < prev.base - ln.base <= 2.2 * ln.size and not _NEW_LABEL.match(ln.text)
                and not (ln.bold and not prev.bold)):
            size, bold, order, text = blocks[-1]
            blocks[-1] = (size, bold, order, text + " " + ln.text)
        else:
            blocks.append((round(ln.size * 2) / 2, ln.bold, len(blocks), ln.text))
        prev = ln
    label = ""
    for _, _, _, text in sorted(blocks, key=lambda b: (-b[0], b[2]))[:6]:
        text = re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()
        text = strip_label_prefix(text)
        if is_form_label(_MONTH_YEAR.sub(" ", fold(text))):
            label = label or _MONTH_YEAR.sub(" ", text).strip(" ,:-")
            continue
        if real_title(text) and len(text) <= 300:
            return f"{label}: {text}" if label else text
    return ""


def _pdf_date(value: str | None) -> str | None:
    m = re.match(r"^D:(\d{4})(\d{2})?(\d{2})?", value or "")
    if not m or not 1900 < int(m.group(1)) < 2100:
        return None
    return "-".join(g for g in m.groups() if g)


# --- reader -------------------------------------------------------------------------------


def read_pdf(path: Path, seconds_budget: float = PDF_SECONDS_BUDGET) -> RawText:
    """A PDF's text with layout (see the module docstring). Encrypted, image-only and corrupt
    files are BadInput with the reason. Pages are read for at most `seconds_budget`."""
    import pypdfium2 as pdfium

    data, checksum = read_bounded(path, MAX_PDF_BYTES, "PDF")
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise BadInput("not a PDF (no %PDF header): corrupt or misnamed file")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise BadInput("encrypted PDF: it needs a password; remove it and export again") from exc
        raise BadInput(f"corrupt PDF: {exc}") from exc
    notes: list[str] = []
    try:
        n_pages = len(pdf)
        pages: list[list[_Line]] = []
        chars = 0
        started = time.monotonic()
        for i in range(n_pages):
            if time.monotonic() - started > seconds_budget:
                notes.append(f"truncated: stopped after page {i} of {n_pages}, over the "
                             f"{seconds_budget:.0f}-second reading budget for one file")
                break
            try:
                lines = _page_lines(pdf, i)
            except Exception as exc:  # noqa: BLE001 - one bad page should not lose the rest
                notes.append(f"page {i + 1}: text could not be extracted ({type(exc).__name__})")
                lines = []
            pages.append(lines)
            chars += sum(len(ln.text) for ln in lines)
            if chars > MAX_TEXT_BYTES:
                notes.append(f"truncated: stopped after page {i + 1} of {n_pages}")
                break
        try:
            info = pdf.get_metadata_dict()
        except Exception:  # noqa: BLE001 - metadata is optional
            info = {}
    finally:
        pdf.close()
    if not any(pages):
        raise BadInput(f"no text layer in {n_pages} page(s): scanned images? OCR it first")
    drop = furniture(pages)
    for p, lines in enumerate(pages):
        drop.update((p, i) for i in toc_lines(lines))
    text, headings = _layout_text(pages, drop)
    if not text.strip():
        raise BadInput("no text left once page headers, footers and contents pages are removed")

    meta: dict[str, Any] = {"pages": len(pages)}
    cover = [ln for i, ln in enumerate(pages[0]) if (0, i) not in drop] if pages else []
    meta["cover_text"] = "\n".join(ln.text for ln in cover)
    pdf_title = (info.get("Title") or "").strip()
    if pdf_title:
        meta["pdf_title"] = pdf_title
    from_page = _title_from_page(cover)
    if real_title(pdf_title):
        meta["title"], meta["title_source"] = pdf_title, "pdf:metadata title"
    elif from_page:
        meta["title"], meta["title_source"] = from_page, "pdf:largest text on page 1"
    else:
        first = next((h for h in headings if real_title(h)), "")
        if first:
            meta["title"], meta["title_source"] = first, "pdf:first heading"
    created = _pdf_date(info.get("CreationDate")) or _pdf_date(info.get("ModDate"))
    if created:
        meta["doc_created"] = created
    return RawText(text=text, checksum=checksum, notes=notes, meta=meta)
