"""/facets: document counts per country, objective, language, section, type."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from indexer.filters import describe_filters
from service.common import country_names_both, parse_filter_params
from service.deps import SearchDep
from service.schemas import ErrorResponse, FacetsPublic, FacetsRequest

router = APIRouter(prefix="/facets", tags=["facets"])


@router.get(
    "",
    response_model=FacetsPublic,
    responses={422: {"model": ErrorResponse}},
    summary="Counts over the whole match set of a query and filters",
)
def facets(req: Annotated[FacetsRequest, Query()], search: SearchDep) -> Any:
    filters = parse_filter_params(req)
    out = search.call("facets", req.q, filters).to_dict()
    out["query"] = (req.q or "").strip() or None
    out["filters"] = describe_filters(filters)
    out["country_names"] = country_names_both(out["countries"])
    return out
