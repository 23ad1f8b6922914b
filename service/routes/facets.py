"""/facets: document counts per country, objective, language, section, type."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.common import describe, parse_filter_params
from service.deps import SearchDep
from service.schemas import ErrorResponse, FacetsPublic, FacetsRequest

router = APIRouter(prefix="/facets", tags=["facets"])


@router.get(
    "", response_model=FacetsPublic, responses={422: {"model": ErrorResponse}},
    summary="Counts over the whole match set of a query and filters",
)
def facets(req: Annotated[FacetsRequest, Query()], search: SearchDep) -> Any:
    filters = parse_filter_params(req)
    out = search.call("facets", req.q, filters).to_dict()
    out["query"] = (req.q or "").strip() or None
    out["filters"] = describe(filters)
    out["country_names"] = country_names_both(out["countries"])
    return out


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
