"""CSV exports a spreadsheet opens as its reader expects: every result of the search (up to
MAX_EXPORT_ROWS, streamed page by page), a link to each practice, country names and
objective labels in the interface language beside the codes, and the separator of the
reader's locale (`;` for Spanish, whose Excel reads `,` as the decimal mark)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import StreamingResponse

from service.common import join, safe_cell

#: Column headings in the interface language.
HEADINGS = {
    "en": ("rank", "doc_id", "title", "link", "score", "relevant", "countries", "country_names",
           "objectives", "objective_labels", "languages", "years", "published", "doc_type",
           "sections", "passage_id", "passage_section", "passage_text"),
    "es": ("posición", "doc_id", "título", "enlace", "puntuación", "pertinente", "países",
           "nombres_de_países", "objetivos", "etiquetas_de_objetivos", "idiomas", "años",
           "publicado", "tipo", "secciones", "passage_id", "sección_del_pasaje", "texto_del_pasaje"),
}
YES_NO = {"en": ("yes", "no"), "es": ("sí", "no")}
#: How an objective placed by inference is marked, by its source.
INFERRED = {"en": {"inferred": "inferred", "suggested": "suggested"},
            "es": {"inferred": "inferido", "suggested": "sugerido"}}
#: Rows fetched from the search core at a time while streaming.
PAGE = 100


def separator(sep: str | None, ui: str) -> str:
    """`sep` (comma or semicolon) as asked, else the interface language's: `;` for Spanish."""
    if sep:
        return ";" if sep == "semicolon" else ","
    return ";" if ui == "es" else ","


def _csv_line(values: Sequence[Any], sep: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerow([safe_cell(v) for v in values])
    return buf.getvalue()


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str, sep: str,
               headers: dict[str, str] | None = None) -> StreamingResponse:
    """A UTF-8 CSV download with a byte-order mark (so spreadsheets show accents right),
    written as the rows come."""

    def lines() -> Iterator[str]:
        yield "\ufeff" + _csv_line(header, sep)
        for row in rows:
            yield _csv_line(row, sep)

    return StreamingResponse(
        lines(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **(headers or {})},
    )


def _objective_cells(hit: dict[str, Any], ui: str) -> tuple[list[str], list[str]]:
    from corpus.objectives import objective_label

    inferred = {o["number"]: o for o in hit.get("inferred", ())}
    numbers, labels = [], []
    for n in hit["objectives"]:
        o = inferred.get(n)
        if o:
            numbers.append(f"{n} ({INFERRED[ui].get(o['source'], o['source'])} {o['confidence']:.2f})")
        else:
            numbers.append(str(n))
        labels.append(objective_label(n, ui))
    return numbers, labels


def hit_row(hit: dict[str, Any], ui: str, base_url: str) -> list[Any]:
    """One practice: its answering (best) passage, names in the interface language."""
    from corpus.countries import country_name

    best = hit["passages"][0] if hit["passages"] else {}
    link = f"{base_url}/?{urlencode({'view': 'doc', 'id': hit['doc_id'], 'ui': ui})}"
    names = []
    for c in hit["countries"]:
        try:
            names.append(country_name(c, ui))
        except (ValueError, LookupError, AttributeError):
            names.append(c)
    numbers, labels = _objective_cells(hit, ui)
    yes, no = YES_NO[ui]
    return [
        hit["rank"], hit["doc_id"], hit["title"], link, round(hit["score"], 4),
        yes if hit.get("relevant", True) else no, join(hit["countries"]), join(names), join(numbers),
        join(labels), join(hit["languages"]), join(hit["years"]), hit.get("published") or "",
        hit["doc_type"] or "", join(dict.fromkeys(p["section_kind"] for p in hit["passages"])),
        best.get("passage_id", ""), best.get("section", ""), best.get("text", ""),
    ]


def export_hits(fetch, cap: int, page_size: int = PAGE) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """The first page (for the totals) and an iterator over every hit to export, in rank
    order: until the whole match set is out, at most `cap` rows; when nothing is relevant,
    the nearest of the first page, marked. `fetch(k, offset)` returns a response dict."""
    first = fetch(page_size, 0)
    total = int(first["matched_documents"])

    def hits() -> Iterator[dict[str, Any]]:
        if total == 0:
            yield from first["hits"][:10]
            return
        page, offset, rows, relevant = first, 0, 0, 0
        while True:
            for h in page["hits"]:
                if rows >= cap or relevant >= total:
                    return
                yield h
                rows += 1
                relevant += bool(h.get("relevant", True))
            if len(page["hits"]) < page_size:
                return
            offset += page_size
            page = fetch(page_size, offset)

    return first, hits()
