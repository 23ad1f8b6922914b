"""From plain text to a document's structure: title, labelled fields and sections.

Practice texts arrive as pages copied from the web, evaluation reports and newsletters.
Paragraphs are separated by blank lines; a short line standing alone is a heading; a
"Label: value" line, or a field label followed by short values, is a metadata field. Known
section labels give a section its kind; other headings inherit the kind of the section they
sit in. Boilerplate and repeated paragraphs (a page copied twice) are dropped here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.cleaning import Dedup, clean_inline, drop_repeated_lines
from corpus.sections import (
    DISCLAIMER_SENTENCE,
    is_boilerplate,
    is_caption,
    is_meta_label,
    normalize_label,
    section_kind,
)

__all__ = ["Section", "Structure", "parse_structure", "clean_inline"]


@dataclass
class Section:
    label: str  # as written ("Key Lessons"); "" before the first heading
    kind: str  # one of SECTION_KINDS
    paragraphs: list[str] = field(default_factory=list)
    links: bool = False  # a "Resources"/"Enlaces" list: link titles are dropped


@dataclass
class Structure:
    title: str = ""
    title_source: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)  # (label as written, value)
    sections: list[Section] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    masthead: str = ""  # series name above the title ("DRG Learning Digest")
    dropped_duplicates: int = 0
    dropped_boilerplate: int = 0

    def content_text(self) -> str:
        return "\n\n".join(p for s in self.sections for p in s.paragraphs)


_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣–]|\d{1,2}[.)](?=\s)|[a-z][.)](?=\s))\s+")
_ARROW = re.compile(r"^\s*-->\s*")


# "Label: value" on one line; the label is short and starts with a capital.
_FIELD = re.compile(r"^([A-ZÁÉÍÓÚÑ][^:\n]{0,70}?)\s*:\s*(.*)$")
_FIELD_STEMS = re.compile(
    r"^(?:codigo|code|project code|tipo|type|momento|naturaleza|nature|pais|paises|country|"
    r"countries|resultado|ods|sdg|fecha|date|dates|oficina|office|duracion|duration|donante|"
    r"donor|donors|nombre|name|gestion|oficial|officer|presupuesto|budget|palabras clave|"
    r"keywords|para las evaluaciones|evaluation manager|evaluation office|ilo evaluation|"
    r"implement|partner|socio|region|sub region|subregion|local|year|ano|period|periodo|"
    r"source|fuente|author|autor|organi[sz]ation|organizacion|geographic|alcance|gcm|"
    r"objetivos|objectives|principal|main implement|lead|status|estado|url|link|enlace|"
    r"beneficiar|population|poblacion|funding|financiamiento|financiacion|contact|contacto|"
    r"responsib|responsable|time ?frame|deadline|plazo|echeance|calendrier)",
)
_SENTENCE_END = re.compile(r"[.;,]$")


def _is_field_label(label: str) -> bool:
    n = normalize_label(label)
    return bool(_FIELD_STEMS.match(n)) or is_meta_label(label)


def _heading_like(line: str) -> bool:
    if "\n" in line or len(line) > 100 or _SENTENCE_END.search(line):
        return False
    words = line.split()
    if not words or len(words) > 14:
        return False
    if line.endswith(":") and len(words) > 8:
        return False  # a sentence introducing a list ("... the following activities should be considered:")
    first = line.lstrip("¿¡\"'“(")[:1]
    if not (first.isupper() or first.isdigit()):
        return False
    return bool(re.search(r"[A-Za-zÀ-ÿ]{3}", line))


def _split_paragraphs(text: str) -> tuple[list[list[str]], set[int]]:
    """Blank-line separated paragraphs (as lists of lines); known labels get their own. Also
    the indexes of the paragraphs that are markdown headings (readers write the headings they
    find in a PDF's or Word file's layout so)."""
    paras: list[list[str]] = []
    marked: set[int] = set()
    cur: list[str] = []
    for raw in text.split("\n"):
        line = raw.rstrip()
        if not line.strip():
            if cur:
                paras.append(cur)
                cur = []
            continue
        stripped = line.strip()
        md_heading = re.match(r"^#{1,6}\s+(.*)$", stripped)
        if md_heading or (
            len(stripped) <= 90 and (section_kind(stripped) or is_meta_label(stripped))
        ):
            if cur:
                paras.append(cur)
                cur = []
            if md_heading:
                marked.add(len(paras))
            paras.append([md_heading.group(1) if md_heading else stripped])
            continue
        cur.append(line)
    if cur:
        paras.append(cur)
    return paras, marked


def _join_lines(lines: list[str]) -> str:
    """Join hard-wrapped lines; each bullet item starts a new line."""
    items: list[str] = []
    for line in lines:
        s = line.strip()
        if _ARROW.match(s):
            continue
        if _BULLET.match(s) or not items:
            items.append(_BULLET.sub("", s) if _BULLET.match(s) else s)
        else:
            items[-1] = items[-1] + " " + s
    cleaned = [clean_inline(i) for i in items]
    return "\n".join(i for i in cleaned if i)


def _drop_disclaimer_sentences(text: str) -> str:
    if not DISCLAIMER_SENTENCE.search(text):
        return text
    parts = re.split(r"(?<=[.!?])\s+", text)
    return " ".join(p for p in parts if not DISCLAIMER_SENTENCE.search(p)).strip()


#: A heading over a list of links ("Resources", "Other C-TIP resources", "Ver también"), but
#: not a kind of resources ("HR Human resources" in an abbreviations table).
_RESOURCES = re.compile(
    r"^(?:\S+\s+){0,3}(?:(?<!human )(?<!natural )(?<!financial )(?<!humanos )resources|links|see also|"
    r"further reading|references|bibliography|recursos(?! humanos| naturales| financieros)|enlaces|"
    r"ver tambien|referencias|bibliografia)(?:\s+(?:utiles|relacionad[oa]s|adicionales|de interes))?$"
)
_MASTHEAD = re.compile(r"\b(?:digest|newsletter|bolet[ií]n|bulletin|repository of practices)$", re.I)
_DATE_LINE = re.compile(
    r"^(?:\d{1,2}\s+)?(?:[A-Za-zé]+\s+(?:de\s+)?)?\d{4}$|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$"
)


#: Metadata fields whose values people search for (places, organisations, captions, SDG
#: targets): besides becoming metadata they are kept as text in a final "Details" passage.
_DETAIL_LABELS = re.compile(
    r"^(?:local|media|regions?|regiones|sub ?-?regions?|subregiones|geographic scope|"
    r"alcance geografico|country|countries|pais|paises|pais\(es\)|ods|sdgs?|"
    r"sustainable development goals(?: \(sdgs\))?|objetivos de desarrollo sostenible|"
    r"organi[sz]ations?|organizaciones|collaborators|colaboradores|main implement\w*(?: organi[sz]ations?)?|"
    r"main implementing organization\(s\)|implementing (?:partners|organi[sz]ations?)|"
    r"partner/donor organi[sz]ations|partners|partner organi[sz]ations|donors?|donantes?|socios|"
    r"socios implementadores|organizacion implementadora|stakeholders)$"
)


def _is_detail_label(label: str) -> bool:
    return bool(_DETAIL_LABELS.match(normalize_label(label)))


def _is_field_line(para: str) -> bool:
    m = _FIELD.match(para) if "\n" not in para else None
    return bool(m and _is_field_label(m.group(1)))


def parse_structure(
    text: str, detect_title: bool = True, known_title: str = "", trust_headings: bool = False,
    layout_headings: bool = False,
) -> Structure:
    """Title, fields and sections of a plain text (see the module docstring).

    With trust_headings, markdown headings are sections whatever they look like (the PDF and
    Word readers write the headings they find in the layout so).
    With layout_headings (and headings found), no other line is guessed to be a heading.

    With detect_title, the first short line before any content is the title (a series name
    such as "... Digest" above it is kept as the masthead).
    """
    st = Structure()
    dedup = Dedup()
    current = Section(label="", kind="other")
    st.sections.append(current)
    known_kind = "other"  # kind that generic headings inherit
    meta_label: str | None = None  # collecting values of a metadata field
    seen_content = False
    details: dict[str, dict[str, None]] = {}  # searchable field label -> its values, in order, once

    text = drop_repeated_lines(text.replace("\r\n", "\n").replace("\r", "\n"))
    raw_paras, marked = _split_paragraphs(text)
    # a reader that judged every line's layout (the PDF reader: size, weight) and found
    # headings has said which lines are headings: a short line it did not mark (a footnote,
    # a table cell) is not guessed to be one from its shape. Word files' headings come from
    # styles only, so their manually bolded headings are still guessed.
    guess_headings = not (layout_headings and marked)
    items: list[tuple[list[str], str, bool]] = []
    for i, lines in enumerate(raw_paras):
        para = _join_lines(lines)
        if not para or is_boilerplate(lines[0].strip()) or is_boilerplate(para):
            st.dropped_boilerplate += 1
            continue
        items.append((lines, para, i in marked))

    for idx, (lines, para, is_heading) in enumerate(items):
        nxt = items[idx + 1][1] if idx + 1 < len(items) else ""
        single = "\n" not in para
        if para in (st.title, known_title) and para:
            continue  # the title repeated (a page copied twice)
        caption = single and is_caption(para)  # never a section heading
        kind = section_kind(para) if single and len(para) <= 90 and not caption else None
        if kind:
            meta_label = None
            # generic headings after a reference list or an acronyms list (front matter) are
            # not part of it
            known_kind = "other" if kind == "references" else kind
            current = Section(label=para.rstrip(":* "), kind=kind)
            st.sections.append(current)
            st.headings.append(current.label)
            continue
        if single and is_meta_label(para):
            meta_label = para.rstrip(":* ")
            continue
        if is_heading and trust_headings and not caption:
            # a heading the reader found in the layout (font size, style): trusted as one
            meta_label = None
            current = Section(label=para, kind=known_kind)
            st.sections.append(current)
            st.headings.append(para)
            continue
        m = _FIELD.match(para) if single else None
        if m and _is_field_label(m.group(1)):
            label, value = m.group(1).strip(), m.group(2).strip()
            if value:
                st.fields.append((label, value))
                if is_meta_label(label) and _is_detail_label(label):
                    details.setdefault(label, {}).setdefault(clean_inline(value))
            if is_meta_label(label):
                meta_label = None if value else label
                continue
            meta_label = None
            if value and not is_boilerplate(value):
                current.paragraphs.append(f"{label}: {value}")
            continue
        if meta_label is not None:
            if len(para.split()) <= 40:
                for v in lines:
                    v = clean_inline(_BULLET.sub("", v.strip()))
                    if v:
                        st.fields.append((meta_label, v))
                        dedup.seen(v)  # a field's value said again later is not a passage
                        if _is_detail_label(meta_label):
                            details.setdefault(meta_label, {}).setdefault(v)
                if re.match(r"^(?:date|fecha)", normalize_label(meta_label)):
                    meta_label = None  # a date field holds one value
                continue
            meta_label = None
        if (
            detect_title
            and not st.title
            and not seen_content
            and single
            and not _SENTENCE_END.search(para)
            and len(para.split()) <= 30
            and not _DATE_LINE.match(para)
        ):
            if _MASTHEAD.search(para) and not st.masthead:
                st.masthead = para
            else:
                st.title, st.title_source = para, "heading"
            continue
        if single and _DATE_LINE.match(para):
            st.fields.append(("date line", para))
            continue
        if (
            guess_headings
            and single
            and _heading_like(para)
            and len(para.split()) <= 4
            and _RESOURCES.search(normalize_label(para))
        ):
            # A list of links: keep only its lines that say something (a described report).
            current = Section(label=para.rstrip(":* "), kind="other", links=True)
            st.sections.append(current)
            continue
        if (
            guess_headings
            and single
            and _heading_like(para)
            and nxt
            and not _is_field_line(nxt)
            and not caption
            and not ("\n" not in nxt and _heading_like(nxt) and not section_kind(nxt))
        ):
            # a short line over text; in a run of short lines (a list, an abbreviations
            # table) none is a heading, or each would be an empty section and be lost
            current = Section(label=para, kind=known_kind)
            st.sections.append(current)
            st.headings.append(para)
            continue
        para = _drop_disclaimer_sentences(para)
        if current.links:
            para = "\n".join(
                ln for ln in para.split("\n") if len(ln.split()) > 10 and ln.rstrip()[-1:] in ".!?)"
            )
        if not para:
            st.dropped_boilerplate += 1
            continue
        if dedup.seen(para):
            st.dropped_duplicates += 1
            continue
        prev = current.paragraphs[-1] if current.paragraphs else ""
        if prev and para[:1].islower() and re.search(r"[,\w]$", prev):
            current.paragraphs[-1] = prev + " " + para  # a paragraph cut by a page break
        elif prev and _is_field_line(prev) and single and len(para.split()) <= 4:
            current.paragraphs[-1] = prev + " " + para  # a field value wrapped onto a new line
        else:
            current.paragraphs.append(para)
        seen_content = True

    if details:
        lines = [f"{label}: {'; '.join(values)}" for label, values in details.items()]
        st.sections.append(Section(label="Details", kind="other", paragraphs=["\n".join(lines)]))
    st.sections = [s for s in st.sections if s.paragraphs]
    if detect_title and not st.title and st.masthead:
        st.title, st.title_source = st.masthead, "heading"
    return st
