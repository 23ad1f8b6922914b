"""Document metadata from labelled fields, the title and the body text, with provenance.

Each extractor returns its values and where they came from ("field:Country", "title",
"text"), so that `Document.provenance` can say why a document carries a country or year.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable

from corpus.countries import find_countries, fold, lookup_country, resolve_country
from corpus.sections import normalize_label

__all__ = [
    "explicit_countries",
    "explicit_objectives",
    "find_dates",
    "years_from_fields",
    "find_years",
    "find_organizations",
    "guess_doc_type",
]

_COUNTRY_FIELD = re.compile(
    r"^(?:country|countries|country\(ies\)|pais|paises|pais\(es\)|geographic scope|"
    r"alcance geografico|location|ubicacion|countries covered|paises cubiertos)$"
)
_OBJECTIVE_FIELD = re.compile(r"(?:gcm|pmm|compact|pacto).*objective|objetivos? del (?:pmm|pacto)|"
                              r"^(?:primary|secondary) gcm objectives|^gcm objectives?$")


def _split_values(value: str) -> list[str]:
    return [p.strip(" .") for p in re.split(r"[,;/\n]|\s+(?:and|y|e|&)\s+", value) if p.strip(" .")]


def explicit_countries(
    fields: Iterable[tuple[str, str]], title: str
) -> tuple[list[str], list[str]]:
    """Countries from country fields and the title: (codes in order, provenance labels)."""
    codes: list[str] = []
    sources: list[str] = []
    for label, value in fields:
        n = re.sub(r"\s*:\s*$", "", normalize_label(label))
        if not _COUNTRY_FIELD.match(n):
            continue
        found: list[str] = []
        for part in _split_values(value):
            try:
                found.append(resolve_country(part))
            except ValueError:
                found.extend(find_countries(part))
        if found:
            sources.append(f"field:{label}")
            codes.extend(found)
    in_title = find_countries(title) if title else []
    if in_title:
        sources.append("title")
        codes.extend(in_title)
    return list(dict.fromkeys(codes)), sources


def explicit_objectives(fields: Iterable[tuple[str, str]]) -> tuple[list[int], list[str]]:
    """GCM objective numbers listed under an objectives field: (numbers, provenance labels)."""
    nums: set[int] = set()
    sources: list[str] = []
    for label, value in fields:
        n = normalize_label(label)
        if not _OBJECTIVE_FIELD.search(n):
            continue
        found = [int(x) for x in re.findall(r"(?<![\d.])(\d{1,2})(?![\d.])", value)]
        found = [x for x in found if 1 <= x <= 23] or _objectives_by_name(value)
        if found:
            nums.update(found)
            if f"field:{label}" not in sources:
                sources.append(f"field:{label}")
    return sorted(nums), sources


def _objectives_by_name(value: str) -> list[int]:
    """Objective numbers whose English or Spanish label or title a field value gives."""
    from corpus.objectives import OBJECTIVES

    v = re.sub(r"\s+", " ", fold(value).lower()).strip(" .")
    out = []
    for o in OBJECTIVES:
        names = (o.short_en, o.title_en, o.short_es, o.title_es)
        if any(v == fold(n).lower() or (len(n) > 25 and fold(n).lower() in v) for n in names):
            out.append(o.number)
    return out


# --- dates ------------------------------------------------------------------------------

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
_YEAR = r"((?:19|20)\d{2})"
_DATE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "ymd"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th|er)?\s+(?:de\s+)?({_MON})\.?,?\s+(?:de\s+|del\s+)?{_YEAR}\b", re.I), "dmy"),
    (re.compile(rf"\b({_MON})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,\s*{_YEAR}\b", re.I), "mdy"),
    (re.compile(rf"\b(\d{{1,2}})/(\d{{1,2}})/{_YEAR}\b"), "num"),
    (re.compile(rf"\b({_MON})\.?\s+(?:de\s+|del\s+)?{_YEAR}\b", re.I), "my"),
]


def _iso(y: int, m: int | None = None, d: int | None = None) -> str | None:
    try:
        if d is not None and m is not None:
            return _dt.date(y, m, d).isoformat()
    except ValueError:
        return None
    if m is not None:
        return f"{y:04d}-{m:02d}" if 1 <= m <= 12 else None
    return f"{y:04d}"


def find_dates(text: str) -> list[str]:
    """ISO dates (YYYY-MM-DD or YYYY-MM) written in English, Spanish or French, sorted, unique.

    Numeric dates are read day first (12/1/2024 is 12 January) unless that cannot be.
    """
    found: set[str] = set()
    taken: list[tuple[int, int]] = []
    folded = fold(text)
    for pat, kind in _DATE_PATTERNS:
        for m in pat.finditer(folded):
            if any(a <= m.start() < b for a, b in taken):
                continue
            g = m.groups()
            if kind == "ymd":
                iso = _iso(int(g[0]), int(g[1]), int(g[2]))
            elif kind == "dmy":
                iso = _iso(int(g[2]), _MONTHS[g[1].lower()], int(g[0]))
            elif kind == "mdy":
                iso = _iso(int(g[2]), _MONTHS[g[0].lower()], int(g[1]))
            elif kind == "num":
                a, b = int(g[0]), int(g[1])
                iso = _iso(int(g[2]), b, a) if b <= 12 else _iso(int(g[2]), a, b)
            else:
                iso = _iso(int(g[1]), _MONTHS[g[0].lower()])
            if iso:
                found.add(iso)
                taken.append((m.start(), m.end()))
    return sorted(found)


_PERIOD_FIELD = re.compile(
    r"^(?:dates?|fechas?|duration|duracion|period|periodo|years?|anos?|implementation period|"
    r"periodo de (?:ejecucion|implementacion)|duracion del proyecto|project duration|timeframe)"
)
_RANGE = re.compile(
    rf"{_YEAR}\s*(?:-|–|—|to|until|a|al|hasta)\s*(?:(?:{_MON})\.?\s+(?:de\s+)?)?{_YEAR}", re.I
)


def _expand(text: str) -> set[int]:
    folded = fold(text)
    years = {int(y) for y in re.findall(rf"\b{_YEAR}\b", folded)}
    for a, b in _RANGE.findall(folded):
        lo, hi = int(a), int(b)
        if lo <= hi <= lo + 30:
            years.update(range(lo, hi + 1))
    return years


def years_from_fields(fields: Iterable[tuple[str, str]]) -> tuple[list[int], list[str]]:
    """Years of a practice's period fields ('Dates: 2022 - 2024', 'Duración: 2017 to 2024')."""
    years: set[int] = set()
    sources: list[str] = []
    for label, value in fields:
        n = normalize_label(label)
        if _PERIOD_FIELD.match(n) and not re.search(r"submit|envio|aprob|approv", n):
            ys = _expand(value)
            if ys:
                years.update(ys)
                if f"field:{label}" not in sources:
                    sources.append(f"field:{label}")
    return sorted(years), sources


def find_years(text: str, max_year: int | None = None) -> list[int]:
    """Years written in running text (1950 to this year), with 'YYYY-YYYY' ranges expanded."""
    top = max_year or _dt.date.today().year
    return sorted(y for y in _expand(text) if 1950 <= y <= top)


# --- organisations ----------------------------------------------------------------------

#: Canonical name -> pattern (acronyms case-sensitive, names in English and Spanish).
KNOWN_ORGS: dict[str, str] = {
    "IOM": r"\bIOM\b|\bOIM\b|International Organi[sz]ation for Migration|Organizaci[oó]n Internacional para las Migraciones",
    "ILO": r"\bILO\b|\bOIT\b|International Labou?r Organi[sz]ation|Organizaci[oó]n Internacional del Trabajo",
    "UNHCR": r"\bUNHCR\b|\bACNUR\b|UN Refugee Agency|Alto Comisionado de las Naciones Unidas para los Refugiados",
    "USAID": r"\bUSAID\b|United States Agency for International Development",
    "UNICEF": r"\bUNICEF\b",
    "UNODC": r"\bUNODC\b|United Nations Office on Drugs and Crime|Oficina de las Naciones Unidas contra la Droga y el Delito",
    "UNDP": r"\bUNDP\b|\bPNUD\b|United Nations Development Programme",
    "UNFPA": r"\bUNFPA\b",
    "UN Women": r"\bUN Women\b|\bONU Mujeres\b",
    "UNOPS": r"\bUNOPS\b",
    "WHO": r"\bWorld Health Organi[sz]ation\b|\bOrganizaci[oó]n Mundial de la Salud\b|\bOMS\b",
    "WFP": r"\bWFP\b|World Food Programme",
    "European Union": r"\bEuropean Union\b|\bUni[oó]n Europea\b|\bEU\b|\bUE\b",
    "OECD": r"\bOECD\b|\bOCDE\b",
    "World Bank": r"\bWorld Bank\b|\bBanco Mundial\b",
    "ICMPD": r"\bICMPD\b",
    "HIAS": r"\bHIAS\b",
    "COMESA": r"\bCOMESA\b",
    "ECOWAS": r"\bECOWAS\b|\bCEDEAO\b",
    "IGAD": r"\bIGAD\b",
    "OAS": r"\bOAS\b|\bOEA\b|Organization of American States",
    "IDB": r"\bIDB\b|Inter-American Development Bank|Banco Interamericano de Desarrollo",
    "R4V": r"\bR4V\b",
    "IFRC": r"\bIFRC\b|Red Cross|Cruz Roja|Red Crescent",
    "UN Network on Migration": r"United Nations Network on Migration|Red de las Naciones Unidas sobre la Migraci[oó]n",
    "NORC": r"\bNORC\b",
    "MIEUX+": r"\bMIEUX\+?",
}
_KNOWN_RE = {name: re.compile(p) for name, p in KNOWN_ORGS.items()}

_ORG_FIELD = re.compile(
    r"^(?:main implement|implement|partner|donor|donante|socio|collaborator|colaborador|"
    r"detailed information|organi[sz]ation|organizacion|oficina administrativa|oficina tecnica|"
    r"gestion de la evaluacion|lead agenc|agencia|funded by|financiado por|funding)"
)
_LEGAL_SUFFIX = re.compile(r"^(?:S\.?L\.?|S\.?A\.?|Inc\.?|Ltd\.?|LLC|GmbH|A\.?C\.?)$")


def _org_values(value: str, known: list[str]) -> list[str]:
    """Names in a field value: one per line; a comma list is split when its pieces are short
    names or repeat names already found ("FLACSO Ecuador, CHILDFUND Ecuador, ...")."""
    value = re.split(r"\s+-\s+(?:USD|US\$|EUR|\$|€)|\s+(?:USD|US\$)\s*[\d,.]+", value)[0]
    out: list[str] = []
    for line in re.split(r"[;\n]", value):
        pieces: list[str] = []
        for p in re.split(r",\s+", line):
            p = p.strip(" *")
            if not _LEGAL_SUFFIX.match(p):
                p = p.rstrip(" .")
            if p and pieces and (_LEGAL_SUFFIX.match(p) or (len(p) <= 3 and not p.isupper())):
                pieces[-1] = f"{pieces[-1]}, {p}"
            elif p:
                pieces.append(p)
        short = all(len(p.split()) <= 4 and p[:1].isupper() for p in pieces)
        if len(pieces) > 1 and (short or any(p in known for p in pieces)):
            out.extend(pieces)
        elif pieces:
            out.append(", ".join(pieces))
    return out


def find_organizations(
    fields: Iterable[tuple[str, str]], text: str
) -> tuple[list[str], list[str]]:
    """Implementers, partners and donors: labelled fields first, then known organisations
    (canonical short names such as "ILO", "UNHCR") found in the fields or the text."""
    orgs: list[str] = []
    sources: list[str] = []
    for label, value in fields:
        n = normalize_label(label)
        if not _ORG_FIELD.match(n):
            continue
        added = False
        for v in _org_values(value, orgs):
            if len(v) < 2 or len(v.split()) > 15:
                continue
            if lookup_country(v):  # a country is not an organisation ("Donante: U.S.A")
                continue
            if v not in orgs:
                orgs.append(v)
                added = True
        if added and f"field:{label}" not in sources:
            sources.append(f"field:{label}")
    found_known: list[tuple[int, str]] = []
    for name, pat in _KNOWN_RE.items():
        m = pat.search(text) or any(pat.search(o) for o in orgs)
        if m:
            found_known.append((m.start() if hasattr(m, "start") else -1, name))
    # Canonical names of known organisations are added even when a field names them in full
    # ("ILO Office for the Andean Countries" -> also "ILO"), so that facets group them.
    extra = [name for _, name in sorted(found_known) if name not in orgs]
    if extra:
        orgs.extend(extra)
        sources.append("text:known acronyms")
    return orgs, sources


#: The cover of an evaluation's report whose title does not say so ("Rapport initial
#: d'évaluation" over a project's name); a heading of the cover that names an evaluation
#: counts too ("Évaluation finale indépendante du projet").
_EVALUATION_REPORT = re.compile(
    r"\b(?:(?:inception|evaluation) report|rapport (?:initial |final |de demarrage )?d'evaluation|"
    r"informe (?:inicial |final )?de (?:la )?evaluacion|evaluation brief|resume d'evaluation)\b"
)


def guess_doc_type(raw_text: str, title: str, masthead: str, fields: list[tuple[str, str]]) -> tuple[str | None, str]:
    """practice | evaluation | digest | newsletter | report, or None; with the clue used."""
    head = fold(raw_text[:3000]).lower()
    t = fold(f"{masthead} {title}").lower()
    labels = " ".join(normalize_label(label) for label, _ in fields)
    if "repository of practices" in head or "repositorio de practicas" in head:
        return "practice", "text:Repository of Practices"
    if re.search(r"\bevaluat|\bevaluacion", t) or "tipo de la evaluacion" in labels or "type of evaluation" in labels:
        return "evaluation", "title" if re.search(r"evaluat|evaluacion", t) else "fields"
    cover_heads = " ".join(ln for ln in head.split("\n") if ln.startswith("#"))  # headings a reader found
    if _EVALUATION_REPORT.search(head) or re.search(r"\bevaluat|\bevaluacion", cover_heads):
        return "evaluation", "text:cover"
    if "digest" in t:
        return "digest", "masthead" if "digest" in fold(masthead).lower() else "title"
    if re.search(r"newsletter|bolet[ií]n|bulletin", t):
        return "newsletter", "title"
    if re.search(r"\breport\b|\binforme\b|\brapport\b", t):
        return "report", "title"
    if re.search(r"\bgood practices?\b|\bbuenas? practicas?\b|\bpractice\b", t):
        return "practice", "title"
    return None, ""
