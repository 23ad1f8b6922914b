"""A PDF page's lines as pdfium reads them, with their font size, weight and position
(`corpus.pdf` makes paragraphs and headings of them)."""

from __future__ import annotations

import ctypes
import re
import statistics
from dataclasses import dataclass
from typing import Any

from corpus.furniture import MARK_AFTER

__all__ = ["Line", "page_lines"]


@dataclass
class Line:
    text: str
    size: float  # median font size of its characters, points
    bold: bool
    base: float  # baseline of its first character, points from the page's bottom
    x0: float
    page: int
    page_h: float
    #: words set apart by a gap wider than a column gutter: a table row, not a heading
    columns: bool = False
    #: note marks set as raised small digits after a word ("well-being.263"), taken out of `text`
    marks: tuple[str, ...] = ()

    @property
    def from_top(self) -> float:
        """Position on the page, 0 (top) to 1 (bottom)."""
        return 1.0 - self.base / self.page_h if self.page_h else 0.5


# Characters word processors use for list bullets (Symbol/Wingdings code points included).
_BULLETS = {0xF0B7, 0xF0A7, 0xF076, 0xF0D8, 0xF0FC, 0xF06E, 0xF0A8, 0x25AA, 0x25CF, 0x25E6, 0x2023}
_SOFT_HYPHENS = {0x02, 0xAD}
_MARK_AFTER = re.compile(MARK_AFTER)


def page_lines(pdf: Any, index: int) -> list[Line]:
    """The lines of one page as pdfium reads them (its line breaks, in drawing order)."""
    import pypdfium2.raw as raw

    page = pdf[index]
    try:
        page_h = float(page.get_height())
        tp = page.get_textpage()
        try:
            n = raw.FPDFText_CountChars(tp)
            lines: list[Line] = []
            chars: list[str] = []
            sizes: list[float] = []
            sampled: list[int] = []
            inked: list[int] = []  # the line's first non-space characters (gaps between them)
            raised: list[tuple[int, int]] = []  # digits after a word: (place in chars, char index)
            first = -1
            x, y = ctypes.c_double(), ctypes.c_double()
            matrix = raw.FS_MATRIX()

            def char_size(i: int) -> float:
                # the font size operand times the text's vertical scale (some producers set
                # size 1 and scale the text matrix instead)
                size = raw.FPDFText_GetFontSize(tp, i)
                if raw.FPDFText_GetMatrix(tp, i, matrix):
                    scale = (matrix.c * matrix.c + matrix.d * matrix.d) ** 0.5
                    if scale > 0:
                        size *= scale
                return size

            def close() -> None:
                if not "".join(chars).strip() or first < 0:
                    return
                bases = []
                for j in sampled[:12]:
                    raw.FPDFText_GetCharOrigin(tp, j, x, y)
                    bases.append(y.value)
                base = statistics.median(bases)
                size = statistics.median(sizes) if sizes else 0.0
                # note marks: digits after a word, set smaller and raised above the line
                out = {pos for pos, j in raised if char_size(j) <= 0.8 * size
                       and raw.FPDFText_GetCharOrigin(tp, j, x, y) and y.value >= base + 0.2 * size}
                marks = tuple(m for m in re.split(r"\D+", "".join(
                    c if k in out else " " for k, c in enumerate(chars))) if m)
                text = "".join(c for k, c in enumerate(chars) if k not in out).strip()
                if out:
                    text = re.sub(r"\s+(?=[.,;:](?:\s|$))", "", text)  # "them26 ." -> "them."
                raw.FPDFText_GetCharOrigin(tp, first, x, y)
                bold = sum(_is_bold(raw, tp, j) for j in sampled)
                bold_line = bold >= 0.9 * len(sampled)
                lines.append(Line(re.sub(r"[ \t\u00a0]{2,}", " ", text), round(size, 1), bold_line,
                                  base, x.value, index, page_h, bold_line and _has_gutter(raw, tp, inked, size),
                                  marks))

            for i in range(n):
                u = raw.FPDFText_GetUnicode(tp, i)
                if u in (10, 13):
                    if u == 10 or (i + 1 < n and raw.FPDFText_GetUnicode(tp, i + 1) != 10):
                        close()
                        chars, sizes, sampled, inked, raised, first = [], [], [], [], [], -1
                    continue
                if u in _SOFT_HYPHENS or raw.FPDFText_IsHyphen(tp, i) == 1:
                    chars.append("\u00ad")  # marks a hyphen the layout added at a line end
                    continue
                if u in _BULLETS:
                    ch = "•"
                elif 0xD800 <= u <= 0xDFFF or u == 0xFFFE or u == 0:
                    continue
                else:
                    ch = chr(u)
                if not ch.isspace():
                    if first < 0:
                        first = i
                    if len(inked) < 160:
                        inked.append(i)
                    if len(sizes) < 48:
                        sizes.append(char_size(i))
                        sampled.append(i)
                    if ch.isdigit() and chars and (
                        _MARK_AFTER.match(chars[-1])
                        or (chars[-1] == " " and len(chars) > 1 and _MARK_AFTER.match(chars[-2]))
                        or (raised and raised[-1][0] == len(chars) - 1)
                    ):
                        raised.append((len(chars), i))
                chars.append(ch)
            close()
            return lines
        finally:
            tp.close()
    finally:
        page.close()


_BOLD_NAME = re.compile(rb"bold|black|heavy|semibold|demi", re.I)


def _is_bold(raw: Any, tp: Any, i: int) -> bool:
    """Character i is set bold: by its font's weight, or, where the file gives none (the
    standard fonts, which are not embedded), by the font's name ("Helvetica-Bold"). `raw`:
    pypdfium2.raw."""
    weight = raw.FPDFText_GetFontWeight(tp, i)
    if weight > 0:
        return weight >= 600
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    raw.FPDFText_GetFontInfo(tp, i, name, 128, ctypes.byref(flags))
    return bool(flags.value & (1 << 18) or _BOLD_NAME.search(name.value))


#: A heading's leading number, as its non-space characters ("3.2.", "IV.", "a)", "Annex2").
_NUMBERING = re.compile(r"(?:[^\W\d_]{2,12})?(?:[\dIVXivx]+(?:[.\-]\d+)*[.):]?|[A-Za-z][.)])")


def _has_gutter(raw: Any, tp: Any, inked: list[int], size: float) -> bool:
    """True when two words of a line stand further apart than 1 em (a word space is about a
    third of one): cells of a table row ("ETHIOPIA   SOMALIA   SUDAN"), not a heading. The
    gap after a leading number ("3.2<tab>Effectiveness", "Annex 2<tab>Tables") does not count."""
    if len(inked) < 2 or size <= 0:
        return False
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    boxes = []
    for i in inked:
        if raw.FPDFText_GetCharBox(tp, i, left, right, bottom, top):
            boxes.append((left.value, right.value, chr(raw.FPDFText_GetUnicode(tp, i))))
    head = ""
    for (_, r0, c0), (l1, _, _) in zip(boxes, boxes[1:], strict=False):
        head += c0
        if l1 - r0 > 1.0 * size and not _NUMBERING.fullmatch(head):
            return True
    return False
