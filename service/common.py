"""Helpers the routes share: errors, filters, CSV responses, country names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import HTTPException

from indexer.types import Filters
from service.schemas import FilterParams


def bad_request(param: str, message: str, status: int = 422) -> HTTPException:
    """An error a person can act on: which parameter, what to change."""
    return HTTPException(status_code=status, detail={"param": param, "message": message})


def parse_filter_params(p: FilterParams) -> Filters:
    """Turn the request's filter parameters into `Filters` (raises SearchError on bad values)."""
    from indexer.filters import parse_filters
    from indexer.types import SearchError
    from practice_search.config import get_settings

    cap = get_settings().max_filter_values
    for name in ("country", "objective", "objective_sources", "lang", "doc_type", "section", "country_sources"):
        values = getattr(p, name, None) or []
        if isinstance(values, list) and len(values) > cap:
            raise SearchError(name, f"has {len(values)} values; at most {cap} may be given")

    return parse_filters(
        country=p.country or None,
        objective=p.objective or None,
        objective_sources=p.objective_sources or None,
        lang=p.lang or None,
        year_from=p.year_from,
        year_to=p.year_to,
        doc_type=p.doc_type or None,
        section=p.section or None,
        country_sources=p.country_sources or None,
    )


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    s = "" if value is None else str(value)
    if s[:1] in ("=", "+", "@", "\t", "\r"):
        s = "'" + s
    return s


def join(values: Iterable[Any]) -> str:
    """Several values in one CSV cell."""
    return "; ".join(str(v) for v in values)


def country_names_both(codes: Iterable[str]) -> dict[str, dict[str, str]]:
    """Display names in English and Spanish, for the page's selects and headers."""
    from corpus.countries import country_name

    out = {}
    for c in codes:
        try:
            out[c] = {"en": country_name(c, "en"), "es": country_name(c, "es")}
        except (ValueError, LookupError, AttributeError):
            out[c] = {"en": c, "es": c}
    return out
