"""OpenDocument text (.odt) -> RawText, standard library only, with the block reader of
`corpus.office` (headings from paragraph styles and outline levels, lists, tables)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from corpus.office import _HEADING, _OLE, _TITLE, _TOC, _finish, _lang, _load, _part
from corpus.readers import BadInput, RawText

__all__ = ["read_odt"]

_T, _TB, _ST, _O, _DRAW, _META = (f"{{urn:oasis:names:tc:opendocument:xmlns:{n}:1.0}}" for n in (
    "text", "table", "style", "office", "drawing", "meta"))
_SVG = "{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_FO = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"


class _Odt:
    """OpenDocument text: paragraph styles (display names, parents, outline levels) and text."""

    paras, table = {_T + "h", _T + "p"}, _TB + "table"
    lists = {_T + "list", _T + "list-item", _T + "list-header"}
    wrappers = lists | {_T + "section"}  # indexes (table-of-content...) are not read
    skip = {_T + "note", _O + "annotation", _T + "tracked-changes", _SVG + "title", _SVG + "desc"}

    def __init__(self, *roots) -> None:
        self.styles: dict[str, tuple[str, str | None, str | None]] = {}
        for root in roots:
            for s in root.iter(_ST + "style"):
                if s.get(_ST + "family") in (None, "paragraph") and (name := s.get(_ST + "name")):
                    shown = s.get(_ST + "display-name") or name.replace("_20_", " ")
                    self.styles[name] = (shown, s.get(_ST + "parent-style-name"),
                                         s.get(_ST + "default-outline-level"))

    def kind(self, p, in_list: bool) -> tuple[str, int]:
        name, seen, outline = p.get(_T + "style-name"), 0, None
        while name in self.styles and seen < 12:  # automatic styles derive from named ones
            shown, name, lvl = self.styles[name]
            for pattern, kind in ((_TOC, "toc"), (_TITLE, "title")):
                if pattern.match(shown):
                    return kind, 0
            if m := _HEADING.match(shown):
                outline = outline or m.group(1)
            outline, seen = outline or lvl, seen + 1
        if p.tag == _T + "h":
            outline = p.get(_T + "outline-level") or outline or "1"
        if outline and outline.isdigit() and int(outline) > 0:
            return "h", int(outline)
        return ("li" if in_list else "p"), 0

    def text(self, el, boxes: list) -> str:
        parts = [el.text or ""]
        for c in el:
            if c.tag in (_T + "s", _T + "tab", _T + "line-break"):
                parts.append("\n" if c.tag == _T + "line-break" else " " * int(c.get(_T + "c") or 1))
            elif c.tag == _DRAW + "text-box":
                boxes.append(c)
            elif c.tag not in self.skip:
                parts.append(self.text(c, boxes))
            parts.append(c.tail or "")
        return "".join(parts)

    def rows(self, el) -> list[list]:
        rows: list = []
        for c in el:
            if c.tag == _TB + "table-row":
                rows.append([tc for tc in c if tc.tag == _TB + "table-cell"])  # not covered cells
            elif c.tag in (_TB + "table-header-rows", _TB + "table-rows", _TB + "table-row-group"):
                rows.extend(self.rows(c))
        return rows

    def content(self, el):
        return el


def read_odt(path: Path) -> RawText:
    """An OpenDocument text (.odt): content.xml, styles.xml and meta.xml, standard library only."""
    bad = "corrupt or not an OpenDocument .odt file"
    data, checksum = _load(path, "an OpenDocument .odt")
    if data.startswith(_OLE):
        raise BadInput(f"{bad}: it is an OLE compound file (a legacy or encrypted Office file)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            mime = zf.read("mimetype")[:100].decode("ascii", "replace").strip() if "mimetype" in names else ""
            if mime and mime != "application/vnd.oasis.opendocument.text":
                raise BadInput(f"{bad}: its type is {mime!r}, not a text document")
            if "META-INF/manifest.xml" in names and b"encryption-data" in zf.read("META-INF/manifest.xml"):
                raise BadInput("encrypted or password-protected OpenDocument file: remove the password "
                               "and export it again")
            xml = {n: ET.fromstring(_part(zf, n, bad)) for n in ("content.xml", "styles.xml", "meta.xml")
                   if n in names or n == "content.xml"}
    except BadInput:
        raise
    except Exception as exc:  # noqa: BLE001 - zip and XML errors all mean a bad file
        raise BadInput(f"{bad}: {type(exc).__name__}: {exc}"[:300]) from exc
    styles, info = xml.get("styles.xml"), xml.get("meta.xml")
    info = info.find(_O + "meta") if info is not None else None
    meta: dict[str, Any] = {}

    def get(tag: str) -> str:
        return (info.findtext(tag) or "").strip() if info is not None else ""

    if m := re.match(r"\d{4}-\d{2}-\d{2}", get(_META + "creation-date") or get(_DC + "date")):
        meta["doc_created"] = m.group(0)
    default = styles.find(f".//{_ST}default-style[@{_ST}family='paragraph']/{_ST}text-properties") \
        if styles is not None else None
    if lang := _lang(get(_DC + "language")) or _lang(None if default is None else default.get(_FO + "language")):
        meta["doc_lang"] = lang
    body = xml["content.xml"].find(f"{_O}body/{_O}text")
    return _finish(_Odt(*(r for r in (styles, xml["content.xml"]) if r is not None)),
                   () if body is None else body, checksum, meta, get(_DC + "title"),
                   ("odt:meta title", "odt:Title style", bad))
