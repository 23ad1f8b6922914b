"""Page furniture of a paged document: running headers and footers, page marks, contents
pages and repeated form lines, found across all its pages (corpus.pdf reads the lines).

Lines are any objects with `text` and `from_top` (0 at the page's top, 1 at its bottom).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from corpus.countries import fold

__all__ = ["furniture", "toc_lines", "is_page_mark", "footnotes", "is_mark_line", "NOTE_SIZE", "MARK_AFTER"]

_PAGE_MARK = re.compile(
    r"^(?:(?:page|pagina|pag\.?|p\.)\s*)?[\divxlc]{1,4}(?:\s*(?:of|de|sur|/)\s*\d{1,4})?$"
    r"|^\d{0,4}\s*\|?\s*p\s?a\s?g\s?e\s*\|?\s*\d{0,4}$|^-\s*\d{1,4}\s*-$",
    re.I,
)
_LEADER = re.compile(r"(?:\.\s?){4,}\s*[\divxlc]{1,4}\s*$|…{2,}\s*\d+\s*$|_{4,}\s*\d+\s*$", re.I)
_TOC_HEADING = re.compile(
    r"^(?:table of contents|contents|table des matieres|sommaire|indice(?: general)?|contenidos?|"
    r"tabla de contenidos?|list of (?:figures|tables|boxes|graphs|charts|annexes|maps)|"
    r"liste des (?:figures|tableaux|graphiques|encadres|annexes|cartes)|"
    r"(?:indice|lista) de (?:figuras|tablas|cuadros|graficos|anexos|mapas)|"
    r"figures|tables|tableaux)$"
)
_BAND = 0.12  # top and bottom share of a page where running headers and footers sit


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", fold(text).lower())).strip(" .-|")


def furniture(pages: list[list[Any]]) -> set[tuple[int, int]]:
    """(page, line) positions of running headers/footers and page marks."""
    n_pages = len(pages)
    out: set[tuple[int, int]] = set()
    band_pages: dict[str, set[int]] = {}
    any_pages: dict[str, set[int]] = {}
    for p, lines in enumerate(pages):
        for i, ln in enumerate(lines):
            k = _key(ln.text)
            in_band = ln.from_top < _BAND or ln.from_top > 1 - _BAND
            if in_band and _PAGE_MARK.match(fold(ln.text).strip()):
                out.add((p, i))
                continue
            if in_band:
                band_pages.setdefault(k, set()).add(p)
            any_pages.setdefault(k, set()).add(p)
    # a line of 5+ words that comes back 3+ times (a form's column headings above every
    # table, its instructions under every item): kept the first time only
    seen_at: Counter[str] = Counter(
        k for lines in pages for ln in lines if len((k := " ".join(fold(ln.text).lower().split())).split()) >= 5
    )
    template = {k for k, n in seen_at.items() if n >= 3}
    first: set[str] = set()
    for p, lines in enumerate(pages):
        for i, ln in enumerate(lines):
            k = " ".join(fold(ln.text).lower().split())
            if k in template:
                if k in first:
                    out.add((p, i))
                first.add(k)
    if n_pages >= 4:
        repeated = {k for k, ps in band_pages.items() if len(ps) >= max(3, 0.2 * n_pages)}
        repeated |= {k for k, ps in any_pages.items()
                     if len(ps) >= max(4, 0.5 * n_pages) and len(k.split()) >= 3}
        for p, lines in enumerate(pages):
            for i, ln in enumerate(lines):
                if _key(ln.text) in repeated:
                    out.add((p, i))
    return out


def toc_lines(lines: list[Any]) -> set[int]:
    """Indexes of a page's table-of-contents lines (the whole list, heading included)."""
    heads = [i for i, ln in enumerate(lines[:8]) if _TOC_HEADING.match(_key(ln.text).strip(": "))]
    leaders = [i for i, ln in enumerate(lines) if _LEADER.search(ln.text)]
    numbered = [i for i, ln in enumerate(lines) if re.search(r"\s\d{1,3}$", ln.text)]
    out = set(leaders)
    if heads or (lines and len(leaders) >= 0.3 * len(lines)):
        entries = sorted(set(leaders) | set(numbered))
        if entries and (heads or len(entries) >= 0.5 * len(lines)):
            start = heads[0] if heads else 0
            out.update(range(start, max(entries) + 1))
    return out




#: Footnotes are set at most this share of the body text's size.
NOTE_SIZE = 0.9
_NOTE_START = re.compile(r"^(\d{1,3})(?:\s*(?=[^\W\d_]|[\"'(\u201c\u00ab\u00bf])|\s*$)")
#: A note mark that the reader put on a line of its own (raised after a line's last word),
#: at most this share of the body text's size.
MARK_SIZE = 0.7


def is_mark_line(ln: Any, body: float) -> bool:
    """A line that is only a note mark: a number of 1-3 digits set at most MARK_SIZE of the
    body text's size."""
    return ln.size <= MARK_SIZE * body and re.fullmatch(r"\d{1,3}", ln.text.strip()) is not None


#: What a note mark follows: a letter or closing punctuation ("well-being.263", "final24,").
MARK_AFTER = r"(?:[^\W\d_]|[.,;:)\]\u201d\u2019\"\u00bb%])"


def _marked(line: str, raised: set[str], text: str) -> bool:
    """The line starts a note whose number the page carries as a mark: raised, or glued to
    a word of its text ("glossary.26", "final26,")."""
    m = _NOTE_START.match(line)
    return bool(m) and (m.group(1) in raised or re.search(rf"{MARK_AFTER}{m.group(1)}(?!\d)", text) is not None)


def footnotes(pages: list[list[Any]], drop: set[tuple[int, int]], body: float) -> dict[tuple[int, int], bool]:
    """(page, line) positions of footnotes, each True where a note starts. A page's notes are
    the lines set smaller than the body text below all of its body text, the first of them
    starting with a number that the page's text carries as a note mark (raised, in `marks`,
    or in the text: "glossary.26", "final26,"); lines with `text`, `size`, `base` (points
    from the page's bottom), `from_top` and optionally `marks`, `drop` the positions already
    removed. A block whose first lines carry no number continues the previous page's last
    note, when that page had notes."""
    out: dict[tuple[int, int], bool] = {}
    noted: set[int] = set()  # pages with notes
    for p, lines in enumerate(pages):
        kept = [(i, ln) for i, ln in enumerate(lines) if (p, i) not in drop and ln.text.strip()]
        text = [ln for _, ln in kept if ln.size > NOTE_SIZE * body]
        if not text:
            continue
        floor = min(ln.base for ln in text)
        small = sorted(((i, ln) for i, ln in kept if ln.size <= NOTE_SIZE * body and ln.base < floor
                        and ln.from_top > 0.5), key=lambda t: -t[1].base)
        if not small:
            continue
        raised = {mark for ln in text for mark in getattr(ln, "marks", ())}
        raised |= {ln.text.strip() for _, ln in kept if ln.base >= floor and is_mark_line(ln, body)}
        marks = " ".join(ln.text for ln in text)

        # the block starts with a marked note; or it continues the previous page's last
        # note (lines with no number) until a marked note of this page
        first = next((k for k, (_, ln) in enumerate(small) if _marked(ln.text, raised, marks)), None)
        if first is None or (first > 0 and p - 1 not in noted):
            continue
        noted.add(p)
        for i, ln in small:
            out[(p, i)] = bool(_NOTE_START.match(ln.text))
    return out


def is_page_mark(text: str) -> bool:
    """'12', 'Page 3 of 40', 'Página 2 de 9', '3 | P a g e', '- 4 -'."""
    return _PAGE_MARK.match(fold(text).strip()) is not None
