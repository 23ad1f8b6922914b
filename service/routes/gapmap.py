"""/gapmap: matching documents per GCM objective x country (or region), as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.common import country_names_both, parse_filter_params
from service.deps import SearchDep
from service.exports import csv_stream, separator
from service.schemas import ErrorResponse, GapMapPublic, GapMapRequest

router = APIRouter(prefix="/gapmap", tags=["gapmap"])
GAPMAP_WORDS = {
    "en": {"objective": "objective", "label": "objective_label", "inferred": "(inferred)", "documents": "documents"},
    "es": {"objective": "objetivo", "label": "etiqueta_del_objetivo", "inferred": "(inferido)",
           "documents": "documentos"},
}


@router.get(
    "",
    response_model=GapMapPublic,
    responses={200: {"content": {"text/csv": {}}}, 422: {"model": ErrorResponse}},
    summary="Document counts per GCM objective x country for a query and filters (objective_sources "
    "also says where a document's objectives come from for the map)",
)
def gapmap(req: Annotated[GapMapRequest, Query()], search: SearchDep) -> Any:
    from corpus.objectives import objective_label

    filters = parse_filter_params(req)
    q = (req.q or "").strip() or None
    out = search.call(
        "gapmap", q, filters, objective_sources=filters.objective_sources, by_region=req.by_region
    )
    for row in out["rows"]:
        row["label_es"] = objective_label(row["objective"], "es")
    if req.by_region:
        from corpus.countries import region_name

        out["column_labels"] = {c: {"en": c, "es": region_name(c, "es")} for c in out["columns"]}
    else:
        out["column_labels"] = country_names_both(out["columns"])
    if req.format == "csv":
        return gapmap_csv(out, req.ui, req.sep)
    return out


def gapmap_csv(out: dict[str, Any], ui: str, sep: str | None) -> Any:
    """The heat map as a table in the interface language: one row per objective, one column
    per country (or region), named in `ui` with its code, each followed by a column of how
    many of its documents only inference placed there."""
    words = GAPMAP_WORDS[ui]
    cols = out["columns"]
    header = [words["objective"], words["label"]]
    for c in cols:
        name = out["column_labels"].get(c, {}).get(ui, c)
        name = name if name == c else f"{name} ({c})"
        header += [name, f"{name} {words['inferred']}"]
    header += [words["documents"], f"{words['documents']} {words['inferred']}"]
    rows = []
    for r in out["rows"]:
        row = [r["objective"], r["label_es"] if ui == "es" else r["label"]]
        for c in cols:
            row += [r["counts"].get(c, 0), r["inferred_counts"].get(c, 0)]
        rows.append(row + [r["documents"], r["inferred_documents"]])
    return csv_stream(header, rows, "practice-search-gapmap.csv", separator(sep, ui))
