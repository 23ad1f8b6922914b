"""Word processor files: .docx (python-docx) and .odt (standard library) -> RawText.

The text follows the convention the structure parser reads: a heading is its own paragraph
written '#'*level + ' ' + text; paragraphs are separated by a blank line; consecutive list
items ("- item") form one block, an item a line; a table is one block, a row a line with its
cells joined by " | ". A one-column table is a layout box: its content is read as body text.
Footnotes come at the end under "Notes", numbered in the order the text refers to them.
Tables of contents, page headers and footers, endnotes and comments are not read.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from corpus.readers import MAX_TEXT_BYTES, BadInput, RawText, read_bounded
from corpus.titles import real_title

__all__ = ["read_docx", "MAX_OFFICE_BYTES"]

#: Largest .docx/.odt file opened, and largest uncompressed XML part parsed.
MAX_OFFICE_BYTES = 100 * 1024 * 1024
MAX_XML_BYTES = 256 * 1024 * 1024
_OLE = b"\xd0\xcf\x11\xe0"
_FOOTNOTES = "word/footnotes.xml"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"

_HEADING = re.compile(
    r"^(?:heading|titre|t[ií]tulo|[uü]berschrift|encabezado|kop|titolo|intestazione)\s*([1-9])$", re.I)
_TITLE = re.compile(r"^(?:title|titre|t[ií]tulo|titel|titolo)$", re.I)
_TOC = re.compile(
    r"^(?:(?:toc|tdm|tm|tdc|contents|inhaltsverzeichnis|verzeichnis|[ií]ndice|index)\s*\d*|"
    r"toc heading|contents heading|table of figures|tabla de ilustraciones|"
    r"table des illustrations|t[ií]tulo de tdc|en-t[eê]te de table des mati[eè]res)$", re.I)
_LIST = re.compile(r"^(?:list|liste|lista|p[aá]rrafo de lista|paragraphe de liste|listenabsatz)\b", re.I)
_FILLER = {"de", "del", "of", "the", "le", "la", "el", "du", "des", "and", "y", "et"}


class _Full(Exception):
    """The text cap was reached."""


class _Out:
    """Output blocks, the paragraphs in order (for the cover text) and the text cap."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, str]] = []
        self.flat: list[str] = []
        self.size, self.h1_at, self.title_para = 0, None, ""

    def add(self, kind: str, text: str, level: int = 0) -> None:
        s = {"h": "#" * level + " ", "li": "- "}.get(kind, "") + text
        self.size += len(s.encode("utf-8")) + 2
        if self.size > MAX_TEXT_BYTES:
            raise _Full
        if kind == "h" and level == 1 and self.h1_at is None:
            self.h1_at = len(self.flat)
        self.flat.extend(text.split("\n") if kind == "table" else [text])
        if kind == "li" and self.blocks and self.blocks[-1][0] == "li":
            self.blocks[-1] = ("li", self.blocks[-1][1] + "\n" + s)
        else:
            self.blocks.append((kind, s))

    def para(self, kind: str, text: str, level: int = 0) -> None:
        """A paragraph of kind 'h', 'title', 'li' or 'p'; empty ones are skipped."""
        lines = [re.sub(r"\s+", " ", ln).strip() for ln in text.replace("\u00ad", "").split("\n")]
        if not (lines := [ln for ln in lines if ln]):
            return
        if kind == "h" and sum(map(len, lines)) > 250:
            kind = "p"  # a whole paragraph styled as a heading
        if kind == "title" and not self.title_para:
            self.title_para = " ".join(lines)
        if kind in ("h", "li"):
            self.add(kind, " ".join(lines), min(max(level, 1), 6))
        else:
            self.add("p", "\n".join(lines))


_W_CHARS = {_W + "tab": " ", _W + "ptab": " ", _W + "br": "\n", _W + "cr": "\n", _W + "noBreakHyphen": "-"}


class _Docx:
    """WordprocessingML: styles (names, basedOn chain, outline levels, numbering) and text."""

    paras, table, lists = {_W + "p"}, _W + "tbl", set()
    wrappers = {_W + t for t in ("sdt", "customXml", "ins", "moveTo")}
    skip = {_W + t for t in ("pPr", "rPr", "del", "moveFrom", "delText", "instrText", "sectPr")} | {_MC_FALLBACK}

    def __init__(self, styles_el) -> None:
        self.styles: dict[str, tuple[str, str | None, str | None, bool]] = {}
        for s in styles_el.iter(_W + "style"):
            ppr, sid = s.find(_W + "pPr"), s.get(_W + "styleId") or ""
            num = ppr is not None and ppr.find(_W + "numPr") is not None
            self.styles[sid] = (_val(s, "name") or sid, _val(s, "basedOn"), _val(ppr, "outlineLvl"), num)
        lang = styles_el.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr/{_W}lang")
        self.default_lang = None if lang is None else lang.get(_W + "val")
        self.refs: list[str] = []  # footnote ids in the order the body refers to them

    def footnotes(self, root) -> dict[str, str]:
        """Text of each footnote of word/footnotes.xml, by id (separators left out)."""
        out: dict[str, str] = {}
        for fn in root.iter(_W + "footnote"):
            if fn.get(_W + "type") in ("separator", "continuationSeparator", "continuationNotice"):
                continue
            text = re.sub(r"\s+", " ", " ".join(self.text(p, []) for p in fn.iter(_W + "p"))).strip()
            if text:
                out[fn.get(_W + "id") or ""] = text
        return out

    def kind(self, p, in_list: bool) -> tuple[str, int]:
        """('toc' | 'title' | 'h' | 'li' | 'p', heading level) of a paragraph."""
        ppr = p.find(_W + "pPr")
        sid = _val(ppr, "pStyle") or "Normal"
        name = self.styles.get(sid, (sid,))[0]
        for pattern, kind in ((_TOC, "toc"), (_TITLE, "title")):
            if pattern.match(name) or pattern.match(sid):
                return kind, 0
        outline, num, seen, cur = _val(ppr, "outlineLvl"), False, 0, sid
        if ppr is not None and (np := ppr.find(_W + "numPr")) is not None:
            num = _val(np, "numId") != "0"
        while cur in self.styles and seen < 12:  # the basedOn chain
            _, based, lvl, snum = self.styles[cur]
            outline = outline if outline is not None else lvl
            num, cur, seen = num or snum, based, seen + 1
        if (m := _HEADING.match(name) or _HEADING.match(sid)) and outline != "9":
            return "h", int(m.group(1))
        if outline is not None and outline.isdigit() and int(outline) < 9:
            return "h", int(outline) + 1
        return ("li" if num or _LIST.match(name) else "p"), 0

    def text(self, el, boxes: list) -> str:
        """Text of the runs under `el`; text boxes go to `boxes`, to be read after it."""
        parts: list[str] = []
        for c in el:
            tag = c.tag
            if not isinstance(tag, str) or tag in self.skip:
                continue
            if tag == _W + "t":
                parts.append(c.text or "")
            elif tag in _W_CHARS:
                parts.append(" " if c.get(_W + "type") == "page" else _W_CHARS[tag])
            elif tag == _W + "txbxContent":
                boxes.append(c)
            elif tag == _W + "footnoteReference":
                self.refs.append(c.get(_W + "id") or "")
            elif tag != _W + "sdt" or c.find(f"{_W}sdtPr/{_W}showingPlcHdr") is None:  # placeholders
                parts.append(self.text(c, boxes))
        return "".join(parts)

    def rows(self, tbl) -> list[list]:
        """Cells of each row; a cell continuing a vertical merge is left out."""
        def merged(tc) -> bool:
            vm = tc.find(f"{_W}tcPr/{_W}vMerge")
            return vm is not None and vm.get(_W + "val") != "restart"

        return [[tc for tc in _unwrap(tr, _W + "tc") if not merged(tc)] for tr in _unwrap(tbl, _W + "tr")]

    def content(self, el):
        if el.tag != _W + "sdt":
            return el
        gallery = el.find(f"{_W}sdtPr/{_W}docPartObj/{_W}docPartGallery")
        if gallery is not None and (gallery.get(_W + "val") or "").lower() == "table of contents":
            return ()
        content = el.find(_W + "sdtContent")
        return () if content is None else content


def _val(el, tag: str) -> str | None:
    c = el.find(_W + tag) if el is not None else None
    return None if c is None else c.get(_W + "val")


def _unwrap(el, tag: str) -> list:
    """Children of `el` with `tag`, looking through content controls and custom XML."""
    found: list = []
    for c in el:
        if c.tag == tag:
            found.append(c)
        elif c.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
            found.extend(_unwrap(c, tag))
    return found


def _blocks(fmt, container, out: _Out, in_list: bool = False) -> None:
    """Paragraphs, tables and the content of wrappers (content controls, lists) in order."""
    for c in container:
        if c.tag in fmt.paras:
            boxes: list = []
            text = fmt.text(c, boxes)
            kind, level = fmt.kind(c, in_list)
            if kind != "toc":
                out.para(kind, text, level)
            for b in boxes:
                _blocks(fmt, b, out)
        elif c.tag == fmt.table:
            rows = fmt.rows(c)
            if all(len(r) <= 1 for r in rows):  # a layout box
                for cell in (cell for r in rows for cell in r):
                    _blocks(fmt, cell, out)
                continue
            lines = [" | ".join(t for cell in r if (t := _cell_text(fmt, cell))) for r in rows]
            if lines := [ln for ln in lines if ln]:
                out.add("table", "\n".join(lines))
        elif c.tag in fmt.wrappers:
            _blocks(fmt, fmt.content(c), out, in_list or c.tag in fmt.lists)


def _cell_text(fmt, el, parts: list[str] | None = None) -> str:
    """All the text of a table cell on one line (nested tables and text boxes flattened)."""
    parts = [] if parts is None else parts
    for c in el:
        if not isinstance(c.tag, str) or c.tag in fmt.skip:
            continue
        if c.tag in fmt.paras:
            boxes: list = []
            parts.append(fmt.text(c, boxes))
            for b in boxes:
                _cell_text(fmt, b, parts)
        else:
            _cell_text(fmt, c, parts)
    return re.sub(r"\s+", " ", " ".join(parts).replace("\u00ad", "")).strip()


def _real_title(t: str | None) -> str:
    """The title unless it is empty, a file name, a placeholder or just a number or date."""
    t = re.sub(r"\s+", " ", (t or "").replace("\u00ad", "")).strip()
    if re.match(r"(?i)^microsoft (?:word|office)\b", t) or "_" in t and " " not in t:
        return ""
    words = [w for w in re.split(r"[\s_]+", t) if re.search(r"[^\W\d_]", w) and w.lower() not in _FILLER]
    return t if len(words) >= 2 and real_title(t) else ""


def _lang(code: str | None) -> str | None:
    m = re.match(r"^([A-Za-z]{2})(?:[-_]|$)", (code or "").strip())
    return m.group(1).lower() if m else None


def _load(path: Path, what: str) -> tuple[bytes, str]:
    data, checksum = read_bounded(path, MAX_OFFICE_BYTES, what)
    if not data.startswith(_OLE) and not zipfile.is_zipfile(io.BytesIO(data)):
        raise BadInput(f"corrupt or not {what} file: not a zip archive")
    return data, checksum


def _part(zf: zipfile.ZipFile, name: str, bad: str) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise BadInput(f"{bad}: no {name} in the archive") from None
    if info.file_size > MAX_XML_BYTES:
        raise BadInput(f"{bad}: {name} is {info.file_size:,} bytes uncompressed, over the limit")
    return zf.read(name)


def _finish(fmt, body, checksum: str, meta: dict[str, Any], prop_title: str | None,
            sources: tuple[str, str, str], footnotes: dict[str, str] | None = None) -> RawText:
    """The RawText of a document's body; its footnotes (by id, numbered in the order the body
    refers to them) come at the end under "Notes", as the PDF reader writes them."""
    out, notes = _Out(), []
    try:
        _blocks(fmt, body, out)
        order = [r for r in dict.fromkeys(getattr(fmt, "refs", ())) if footnotes and footnotes.get(r)]
        if order:
            out.para("h", "Notes", 2)
            for k, r in enumerate(order, 1):
                out.para("p", f"{k} {footnotes[r]}")
    except _Full:
        notes.append(f"truncated: stopped after {MAX_TEXT_BYTES:,} bytes of text")
    except RecursionError:
        raise BadInput(f"{sources[2]}: its XML is nested too deeply") from None
    text = "\n\n".join(s for _, s in out.blocks)
    if not text.strip():
        raise BadInput("no text in the document")
    if title := _real_title(prop_title):
        meta["title"], meta["title_source"] = title, sources[0]
    elif out.title_para:
        meta["title"], meta["title_source"] = out.title_para, sources[1]
    n = min(out.h1_at if out.h1_at is not None else len(out.flat), 20)
    if cover := "\n\n".join(out.flat[:n]).strip():
        meta["cover_text"] = cover
    return RawText(text=text, checksum=checksum, notes=notes, meta=meta)


def read_docx(path: Path) -> RawText:
    """A Word .docx file: body text with headings, lists and tables (see the module docstring)."""
    bad = "corrupt or not a Word .docx file"
    data, checksum = _load(path, "a Word .docx")
    if data.startswith(_OLE):
        if path.suffix.lower() == ".doc":
            raise BadInput("legacy Word .doc (binary) is not supported: save it as .docx")
        raise BadInput("encrypted or password-protected Word file: remove the password and export it again")
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _part(zf, "word/document.xml", bad)
            notes_xml = _part(zf, _FOOTNOTES, bad) if _FOOTNOTES in zf.namelist() else None
        doc = docx.Document(io.BytesIO(data))
        fmt, body = _Docx(doc.styles.element), doc.element.body
        footnotes = fmt.footnotes(ET.fromstring(notes_xml)) if notes_xml else {}
    except BadInput:
        raise
    except Exception as exc:  # noqa: BLE001 - zip, XML and package errors all mean a bad file
        raise BadInput(f"{bad}: {type(exc).__name__}: {exc}"[:300]) from exc
    meta: dict[str, Any] = {}
    prop_title, lang = None, None
    try:
        core = doc.core_properties
        if when := core.created or core.modified:
            meta["doc_created"] = when.date().isoformat()
        prop_title, lang = core.title, _lang(core.language)
    except Exception:  # noqa: BLE001 - core properties are optional
        pass
    if lang := lang or _lang(fmt.default_lang):
        meta["doc_lang"] = lang
    return _finish(fmt, body, checksum, meta, prop_title, ("docx:core properties", "docx:Title style", bad),
                   footnotes)
