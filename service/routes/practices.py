"""/practices/{id}: one practice with all its passages, and practices like it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.common import bad_request, country_names_both, parse_filter_params
from service.deps import SearchDep
from service.schemas import ErrorResponse, PracticePublic, SearchResponse, SimilarRequest

router = APIRouter(prefix="/practices", tags=["practices"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "A malformed id"},
    404: {"model": ErrorResponse, "description": "No practice with that id"},
    422: {"model": ErrorResponse, "description": "A parameter to fix"},
}


def check_doc_id(doc_id: str) -> str:
    """Ids may contain '/', but never '.' or '..' segments, backslashes or control characters."""
    parts = doc_id.split("/")
    if (
        not doc_id
        or doc_id.startswith("/")
        or any(p in ("", ".", "..") for p in parts)
        or "\\" in doc_id
        or any(ord(c) < 32 for c in doc_id)
    ):
        raise bad_request(
            "doc_id",
            f"{doc_id!r} is not a practice id: use an id exactly as /search returns it (doc_id)",
            status=400,
        )
    return doc_id


# Registered before the plain document route: `{doc_id:path}` would otherwise swallow "/similar".
@router.get(
    "/{doc_id:path}/similar",
    response_model=SearchResponse,
    responses=ERRORS,
    summary="Practices similar to one",
)
def similar(doc_id: str, req: Annotated[SimilarRequest, Query()], search: SearchDep) -> Any:
    check_doc_id(doc_id)
    filters = parse_filter_params(req)
    return search.call("similar", doc_id, filters, k=req.k).to_dict()


@router.get(
    "/{doc_id:path}",
    response_model=PracticePublic,
    responses=ERRORS,
    summary="One practice, all its passages",
)
def practice(doc_id: str, search: SearchDep) -> Any:
    check_doc_id(doc_id)
    doc = search.call("document", doc_id)
    d = doc.to_dict()
    d["country_names"] = country_names_both(doc.countries.all())
    return d
