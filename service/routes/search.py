"""/search: ranked practices for a query and filters, as JSON or CSV."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from indexer.types import SearchError
from service.common import parse_filter_params
from service.deps import SearchDep
from service.exports import HEADINGS, csv_stream, export_hits, hit_row, separator
from service.schemas import ErrorResponse, SearchRequest, SearchResponse

router = APIRouter(prefix="/search", tags=["search"])

ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "A parameter to fix"}
}
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}
}

def run_search(req: SearchRequest, search: SearchDep) -> dict[str, Any]:
    """Validate the request, run it on the index snapshot, return the contract's JSON shape."""
    t0 = time.perf_counter()
    filters = parse_filter_params(req)
    if not (req.q or "").strip():
        # browsing: the filtered practices in a chosen order
        sort = "published" if req.sort == "relevance" else req.sort
        res = search.call("browse", filters, sort=sort, k=req.k, offset=req.offset)
    elif req.sort != "relevance":
        raise SearchError("sort", f"a query's results are ranked by relevance; sort={req.sort} lists practices without a query (leave q out)")
    else:
        res = search.call(
            "search",
            req.q,
            filters,
            mode=req.mode,
            k=req.k,
            offset=req.offset,
            group=True,
            passages_per_doc=3,
        )
    out = res.to_dict()
    out["timing_ms"] = {
        **out.get("timing_ms", {}),
        "request": round((time.perf_counter() - t0) * 1000, 2),
    }
    return out


def search_export(req: SearchRequest, search: SearchDep, base_url: str) -> Any:
    """Every result of the query and filters as CSV (up to MAX_EXPORT_ROWS), streamed;
    `k` and `offset` do not apply."""
    from practice_search.config import get_settings

    settings = search.settings or get_settings()
    page = min(100, settings.max_k)
    first, hits = export_hits(lambda k, offset: run_search(req.model_copy(update={"k": k, "offset": offset}), search),
                              settings.max_export_rows, page)
    rows = (hit_row(h, req.ui, base_url) for h in hits)
    headers = {"X-Matched-Documents": str(first["matched_documents"]), "X-Export-Cap": str(settings.max_export_rows)}
    return csv_stream(HEADINGS[req.ui], rows, "practice-search-results.csv", separator(req.sep, req.ui), headers)


def respond(req: SearchRequest, search: SearchDep, request: Request) -> Any:
    if req.format == "csv":
        return search_export(req, search, str(request.base_url).rstrip("/"))
    return run_search(req, search)


@router.get(
    "",
    response_model=SearchResponse,
    responses={**ERRORS, **CSV_RESPONSE},
    summary="Search practices (query string; repeat country/objective for several); "
    "without q, list the practices passing the filters",
)
def search_get(req: Annotated[SearchRequest, Query()], search: SearchDep, request: Request) -> Any:
    return respond(req, search, request)


@router.post(
    "",
    response_model=SearchResponse,
    responses={**ERRORS, **CSV_RESPONSE},
    summary="Search practices (JSON body)",
)
def search_post(req: SearchRequest, search: SearchDep, request: Request) -> Any:
    return respond(req, search, request)
