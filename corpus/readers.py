"""Readers: bytes of a .txt, .md, .html/.htm or .jsonl file -> text (or records).

PDFs are read by corpus.pdf, Word and OpenDocument files by corpus.office.

Readers never crash on bad input: they raise `BadInput` (a ValueError) with a reason a person
can act on, and report recoverable trouble (a non-UTF-8 encoding, a truncated file) as notes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BadInput",
    "RawText",
    "SUFFIXES",
    "MAX_TEXT_BYTES",
    "MAX_PDF_BYTES",
    "read_text_file",
    "read_html",
    "read_markdown",
    "iter_jsonl",
]


class BadInput(ValueError):
    """A file (or record) that cannot be ingested; the message says why."""


#: File suffix -> format name.
SUFFIXES: dict[str, str] = {
    ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html",
    ".htm": "html", ".pdf": "pdf", ".jsonl": "jsonl", ".ndjson": "jsonl", ".docx": "docx",
    ".odt": "odt",
}
#: Most bytes of one text/markdown/HTML file that are read; the rest is reported as truncated.
MAX_TEXT_BYTES = 1024 * 1024
#: Largest PDF that is opened.
MAX_PDF_BYTES = 100 * 1024 * 1024
#: Longest JSON Lines line accepted.
MAX_JSONL_LINE = 8 * 1024 * 1024


@dataclass
class RawText:
    text: str
    checksum: str  # sha256 of the source bytes
    notes: list[str] = field(default_factory=list)  # recoverable trouble, for the report
    meta: dict[str, Any] = field(default_factory=dict)  # explicit metadata (front matter, <title>)


def _read_capped(path: Path, cap: int) -> tuple[bytes, str, list[str]]:
    """Up to `cap` bytes of the file, the sha256 of the whole file, and a truncation note."""
    h = hashlib.sha256()
    size = 0
    head = bytearray()
    with path.open("rb") as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                break
            h.update(block)
            size += len(block)
            if len(head) < cap:
                head.extend(block[: cap - len(head)])
    notes = []
    if size > cap:
        notes.append(f"truncated: read the first {cap:,} of {size:,} bytes")
    return bytes(head), h.hexdigest(), notes


def read_bounded(path: Path, limit: int, what: str) -> tuple[bytes, str]:
    """The bytes of a file read whole (PDF, Word) and their sha256; BadInput when it is
    empty or larger than `limit`."""
    size = path.stat().st_size
    if size == 0:
        raise BadInput("empty file")
    if size > limit:
        raise BadInput(f"{what} file of {size:,} bytes is over the {limit:,}-byte limit")
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    ctrl = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return len(sample) > 0 and ctrl / len(sample) > 0.05


def decode_bytes(data: bytes, truncated: bool = False) -> tuple[str, list[str]]:
    """Text of the bytes: UTF-8 (with BOM), else cp1252, else UTF-8 with replacement."""
    notes: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), ["decoded as UTF-16"]
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), notes
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(data) - 4:  # a character cut by the cap
            return data[: exc.start].decode("utf-8"), notes
    try:
        text = data.decode("cp1252")
        notes.append("not valid UTF-8: decoded as Windows-1252 (cp1252)")
        return text, notes
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        notes.append("not valid UTF-8: undecodable bytes replaced with U+FFFD")
        return text, notes


def read_text_file(path: Path) -> RawText:
    """A .txt file (or the raw text of .md/.html before their own cleaning)."""
    data, checksum, notes = _read_capped(path, MAX_TEXT_BYTES)
    if not data.strip():
        raise BadInput("empty file" if not data else "no text (whitespace only)")
    if _looks_binary(data):
        raise BadInput("binary content (NUL or control bytes), not text: is the extension right?")
    text, dnotes = decode_bytes(data, truncated=bool(notes))
    return RawText(text=text, checksum=checksum, notes=notes + dnotes)


_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def read_markdown(path: Path) -> RawText:
    """Markdown: YAML-like front matter (key: value) becomes explicit metadata."""
    raw = read_text_file(path)
    m = _FRONT.match(raw.text)
    if m:
        meta: dict[str, Any] = {}
        for line in m.group(1).splitlines():
            km = re.match(r"^\s*([A-Za-z_]+)\s*:\s*(.*)$", line)
            if not km:
                continue
            key, val = km.group(1).lower(), km.group(2).strip().strip("'\"")
            if val.startswith("[") and val.endswith("]"):
                meta[key] = [v.strip().strip("'\"") for v in val[1:-1].split(",") if v.strip()]
            else:
                meta[key] = val
        raw.meta = meta
        raw.text = raw.text[m.end() :]
    # Tables and code fences: keep the words, drop the furniture.
    lines = []
    for line in raw.text.split("\n"):
        if re.match(r"^\s*(```|~~~)", line) or re.match(r"^\s*\|?[\s:|-]+\|[\s:|-]*$", line):
            continue
        if line.strip().startswith("|"):
            line = " ".join(c.strip() for c in line.strip().strip("|").split("|"))
        line = re.sub(r"^(\s*)>\s?", r"\1", line)  # block quotes
        lines.append(line)
    raw.text = "\n".join(lines)
    return raw


_BLOCK_TAGS = frozenset(
    "p div section article main li ul ol dl dt dd h1 h2 h3 h4 h5 h6 blockquote pre table tr "
    "td th thead tbody figcaption figure header br hr address".split()
)
_DROP_TAGS = ("script", "style", "nav", "footer", "noscript", "aside", "form", "svg", "iframe",
              "button", "template", "menu")


def read_html(path: Path) -> RawText:
    """HTML: page furniture (script, nav, footer...) removed, headings on their own lines."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    raw = read_text_file(path)
    tree = HTMLParser(raw.text)
    for sel in _DROP_TAGS:
        for node in tree.css(sel):
            node.decompose()
    for node in tree.css("[role=navigation], [aria-hidden=true], .skip-link, .visually-hidden, .breadcrumb"):
        node.decompose()
    meta: dict[str, Any] = {}
    t = tree.css_first("title")
    if t is not None and t.text(strip=True):
        meta["html_title"] = t.text(strip=True)
    h1 = tree.css_first("h1")
    if h1 is not None and h1.text(strip=True):
        meta["title"] = re.sub(r"\s+", " ", h1.text(strip=True))
    for m in tree.css("meta"):
        name = (m.attributes.get("name") or m.attributes.get("property") or "").lower()
        content = m.attributes.get("content") or ""
        if name in ("og:url",) and content:
            meta["url"] = content
        if name in ("language", "og:locale") and content:
            meta.setdefault("lang", content[:2].lower())
    html_lang = tree.css_first("html")
    if html_lang is not None and html_lang.attributes.get("lang"):
        meta.setdefault("lang", (html_lang.attributes.get("lang") or "")[:2].lower())
    link = tree.css_first("link[rel=canonical]")
    if link is not None and link.attributes.get("href"):
        meta.setdefault("url", link.attributes.get("href"))

    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        s = re.sub(r"\s+", " ", "".join(buf)).strip()
        if s:
            out.append(s)
        buf.clear()

    def walk(root) -> None:
        # depth-first with an explicit stack: a page nested 100,000 levels deep is read, not
        # a RecursionError
        stack = [(iter(root.iter(include_text=True)), False)]
        while stack:
            children, flush_after = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if flush_after:
                    flush()
                continue
            tag = child.tag
            if tag == "-text":
                buf.append(child.text_content or "")
            elif tag in ("-comment", "!doctype", "head", "title", "meta", "link"):
                continue
            elif tag in _BLOCK_TAGS:
                flush()
                if tag.startswith("h") and len(tag) == 2:
                    buf.append(child.text(deep=True, separator=" "))
                    flush()
                    continue
                if tag == "li":
                    buf.append("- ")
                stack.append((iter(child.iter(include_text=True)), True))
            else:
                stack.append((iter(child.iter(include_text=True)), False))

    body = tree.body or tree.root
    if body is not None:
        walk(body)
    flush()
    raw.text = "\n\n".join(out)
    raw.meta = meta
    return raw


def iter_jsonl(path: Path):
    """Yield (line number, record or BadInput) for each non-blank line of a JSON Lines file."""
    with path.open("rb") as f:
        lineno = 0
        while True:
            raw = f.readline(MAX_JSONL_LINE + 1)
            if not raw:
                break
            lineno += 1
            if len(raw) > MAX_JSONL_LINE and not raw.endswith(b"\n"):
                size = len(raw)
                while raw and not raw.endswith(b"\n"):  # skip the rest, in bounded reads
                    raw = f.readline(1 << 20)
                    size += len(raw)
                yield lineno, BadInput(f"line of {size:,} bytes is over the {MAX_JSONL_LINE:,}-byte limit")
                continue
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace")
            try:
                rec = json.loads(text)
            except json.JSONDecodeError as exc:
                yield lineno, BadInput(f"invalid JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(rec, dict):
                yield lineno, BadInput(f"expected a JSON object, got {type(rec).__name__}")
                continue
            missing = [k for k in ("id", "title") if not rec.get(k) and rec.get(k) != 0]
            if missing:
                yield lineno, BadInput(f"record lacks required field(s): {', '.join(missing)}")
                continue
            rec.setdefault("text", "")  # a metadata-only record: its title becomes its passage
            if not isinstance(rec["text"] or "", str) or not isinstance(rec["title"], str):
                yield lineno, BadInput("'title' and 'text' must be strings")
                continue
            rec["text"] = rec["text"] or ""
            yield lineno, rec
