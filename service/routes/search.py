"""/search: ranked practices for a query and filters, as JSON or CSV."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from indexer.types import SearchError
from service.common import csv_response, join, parse_filter_params
from service.deps import SearchDep
from service.schemas import ErrorResponse, SearchRequest, SearchResponse

router = APIRouter(prefix="/search", tags=["search"])

ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "A parameter to fix"}
}
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}
}

CSV_HEADER = (
    "rank",
    "doc_id",
    "title",
    "score",
    "countries",
    "objectives",
    "languages",
    "years",
    "doc_type",
    "sections",
    "passage_id",
    "passage_section",
    "passage_text",
)


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


def objective_cells(hit: dict[str, Any]) -> list[str]:
    """A hit's objectives for a CSV cell, inferred ones marked: ["6", "21 (inferred 0.93)"]."""
    inferred = {o["number"]: o for o in hit.get("inferred", ())}
    out = []
    for n in hit["objectives"]:
        o = inferred.get(n)
        out.append(f"{n} ({o['source']} {o['confidence']:.2f})" if o else str(n))
    return out


def search_csv(out: dict[str, Any]) -> Response:
    """One row per practice, with its answering (best) passage."""
    rows = []
    for h in out["hits"]:
        best = h["passages"][0] if h["passages"] else {}
        sections = dict.fromkeys(p["section_kind"] for p in h["passages"])
        rows.append(
            (
                h["rank"],
                h["doc_id"],
                h["title"],
                round(h["score"], 4),
                join(h["countries"]),
                join(objective_cells(h)),
                join(h["languages"]),
                join(h["years"]),
                h["doc_type"] or "",
                join(sections),
                best.get("passage_id", ""),
                best.get("section", ""),
                best.get("text", ""),
            )
        )
    return csv_response(CSV_HEADER, rows, "practice-search-results.csv")


def respond(req: SearchRequest, search: SearchDep) -> Any:
    out = run_search(req, search)
    return search_csv(out) if req.format == "csv" else out


@router.get(
    "",
    response_model=SearchResponse,
    responses={**ERRORS, **CSV_RESPONSE},
    summary="Search practices (query string; repeat country/objective for several); "
    "without q, list the practices passing the filters",
)
def search_get(req: Annotated[SearchRequest, Query()], search: SearchDep) -> Any:
    return respond(req, search)


@router.post(
    "",
    response_model=SearchResponse,
    responses={**ERRORS, **CSV_RESPONSE},
    summary="Search practices (JSON body)",
)
def search_post(req: SearchRequest, search: SearchDep) -> Any:
    return respond(req, search)
