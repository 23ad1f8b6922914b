"""User filters -> validated `Filters`, and back to a readable description.

Every invalid value raises `SearchError(param, message)` with a message a person can
act on; nothing here uses assert.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from corpus.countries import country_name, resolve_country
from corpus.types import COUNTRY_SOURCES, OBJECTIVE_SOURCES, SECTION_KINDS
from indexer.types import DEFAULT_COUNTRY_SOURCES, DEFAULT_OBJECTIVE_SOURCES, Filters, SearchError

Values = str | int | Iterable[str | int] | None


def _listify(value: Values) -> list[Any]:
    """None, a scalar, a comma-separated string or an iterable -> a flat list of values."""
    if value is None:
        return []
    if isinstance(value, (str, int)):
        items: list[Any] = [value]
    else:
        items = list(value)
    out: list[Any] = []
    for v in items:
        if v is None:
            continue
        if isinstance(v, str):
            out.extend(p.strip() for p in v.split(",") if p.strip())
        else:
            out.append(v)
    return out


def country_display_name(code: str) -> str:
    """English name of a country code for display; the code itself if it has none."""
    try:
        return country_name(code, "en")
    except Exception:  # noqa: BLE001 - a name is a nicety; the code is what filters
        return code


def _year(param: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        y = int(str(value).strip())
    except ValueError:
        raise SearchError(param, f"{value!r} is not a year; give four digits, e.g. 2020") from None
    if not 1900 <= y <= 2100:
        raise SearchError(param, f"{y} is out of range; give a year between 1900 and 2100")
    return y


def parse_filters(
    country: Values = None,
    objective: Values = None,
    objective_sources: Values = None,
    lang: Values = None,
    year_from: str | int | None = None,
    year_to: str | int | None = None,
    doc_type: Values = None,
    section: Values = None,
    country_sources: Values = None,
) -> Filters:
    """Validate and normalise user filters (strings, ints or lists of them).

    country: ISO alpha-2 codes or English/Spanish names ("Perú", "PE", "peru" agree);
    objective: GCM objective numbers 1-23; objective_sources: subset of explicit,
    mentioned, inferred (high confidence), suggested (low) (default explicit+mentioned+inferred); lang: 2-letter codes; section:
    one of SECTION_KINDS; year_from <= year_to; country_sources: subset of explicit, primary,
    mentioned (default explicit+primary: where the practice takes place)."""
    countries: list[str] = []
    for c in _listify(country):
        try:
            code = resolve_country(str(c))
        except (ValueError, KeyError, LookupError) as exc:
            msg = str(exc).strip("'\"") or f"unknown country {c!r}"
            if "ISO" not in msg:
                msg += "; give an ISO 3166 code (PE) or a name in English or Spanish (Peru, Perú)"
            raise SearchError("country", msg) from None
        if code not in countries:
            countries.append(code)

    objectives: list[int] = []
    for o in _listify(objective):
        try:
            n = int(str(o).strip())
        except ValueError:
            raise SearchError("objective", f"{o!r} is not a number; give a GCM objective number from 1 to 23") from None
        if not 1 <= n <= 23:
            raise SearchError("objective", f"{n} is not a GCM objective; give a number from 1 to 23")
        if n not in objectives:
            objectives.append(n)

    c_sources_in = [str(s).strip().lower() for s in _listify(country_sources)]
    for s in c_sources_in:
        if s not in COUNTRY_SOURCES:
            raise SearchError("country_sources", f"{s!r} is not a source; choose from {', '.join(COUNTRY_SOURCES)}")
    c_sources = tuple(s for s in COUNTRY_SOURCES if s in c_sources_in) or DEFAULT_COUNTRY_SOURCES

    sources_in = [str(s).strip().lower() for s in _listify(objective_sources)]
    for s in sources_in:
        if s not in OBJECTIVE_SOURCES:
            raise SearchError("objective_sources", f"{s!r} is not a source; choose from {', '.join(OBJECTIVE_SOURCES)}")
    sources = tuple(s for s in OBJECTIVE_SOURCES if s in sources_in) or DEFAULT_OBJECTIVE_SOURCES

    langs: list[str] = []
    for lg in _listify(lang):
        code = str(lg).strip().lower()
        if not re.fullmatch(r"[a-z]{2}", code):
            raise SearchError("lang", f"{lg!r} is not a language code; give two letters, e.g. es or en")
        if code not in langs:
            langs.append(code)

    y_from, y_to = _year("year_from", year_from), _year("year_to", year_to)
    if y_from is not None and y_to is not None and y_from > y_to:
        raise SearchError("year_from", f"year_from {y_from} is after year_to {y_to}; swap them")

    doc_types = []
    for t in _listify(doc_type):
        t = str(t).strip().lower()
        if t not in doc_types:
            doc_types.append(t)

    sections: list[str] = []
    for s in _listify(section):
        s = str(s).strip().lower()
        if s not in SECTION_KINDS:
            raise SearchError("section", f"{s!r} is not a section kind; choose from {', '.join(SECTION_KINDS)}")
        if s not in sections:
            sections.append(s)

    return Filters(
        countries=tuple(countries),
        country_sources=c_sources,
        objectives=tuple(objectives),
        objective_sources=sources,
        langs=tuple(langs),
        year_from=y_from,
        year_to=y_to,
        doc_types=tuple(doc_types),
        sections=tuple(sections),
    )


def describe_filters(f: Filters | None) -> dict[str, Any]:
    """The filters as understood, for responses: only the ones that are set (plus the
    objective sources when objectives are filtered)."""
    if f is None:
        return {}
    out: dict[str, Any] = {}
    if f.countries:
        out["country"] = list(f.countries)
        out["country_name"] = [country_display_name(c) for c in f.countries]
        out["country_sources"] = list(f.country_sources)
    if f.objectives:
        out["objective"] = list(f.objectives)
        out["objective_sources"] = list(f.objective_sources)
    if f.langs:
        out["lang"] = list(f.langs)
    if f.year_from is not None:
        out["year_from"] = f.year_from
    if f.year_to is not None:
        out["year_to"] = f.year_to
    if f.doc_types:
        out["doc_type"] = list(f.doc_types)
    if f.sections:
        out["section"] = list(f.sections)
    return out
