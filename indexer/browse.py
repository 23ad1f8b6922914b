"""Browsing an index: documents listed without a query, facet counts and the gap map.

`BrowseMixin` is part of the `SearchIndex` facade (indexer.search): it reads the facade's
index snapshot (`_state`) and match set (`_match_docs`) and builds hits as searches do.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from corpus.objectives import objective_label
from indexer.filters import country_display_name, describe_filters
from indexer.types import (
    DEFAULT_OBJECTIVE_SOURCES,
    Facets,
    Filters,
    SearchError,
    SearchResponse,
)

#: How documents are listed without a query.
SORTS: tuple[str, ...] = ("published", "title")


class BrowseMixin:
    """Facets, gap map and browsing for SearchIndex."""

    def browse(
        self,
        filters: Filters | None = None,
        *,
        sort: str = "published",
        k: int = 10,
        offset: int = 0,
        passages_per_doc: int = 1,
    ) -> SearchResponse:
        """The documents passing `filters`, without a query, in `sort` order ("published":
        newest first, undated ones last; "title": A to Z), each with its opening passages
        among those passing the filters (summary first). Counts, paging and facets are
        those of an empty query: every document that passes the filters."""
        t0 = time.perf_counter()
        st = self._state
        self._check_k(k, offset)
        if sort not in SORTS:
            raise SearchError("sort", f"unknown sort {sort!r}; without a query choose {' or '.join(SORTS)}")
        if passages_per_doc < 1:
            raise SearchError("passages_per_doc", "must be at least 1")
        store = st.store
        match = self._match_rows(st, store.allowed_rows(filters), None, None)
        docs = store.docs_of_rows(match)
        page = docs[_browse_order(store, docs, sort)][offset : offset + k]
        summary = store.sections.index("summary")
        shown: list[list[int]] = []
        for d in page.tolist():
            rows = store.rows_of_doc(d)
            rows = rows[match[rows]]
            kinds = store.row_section[rows] != summary  # a summary first, then the document's order
            shown.append(rows[np.lexsort((rows, kinds))][:passages_per_doc].tolist())
        fetched = iter(store.passages_at([r for rows in shown for r in rows]))  # one fetch for the page
        hits = []
        for rank, (d, rows) in enumerate(zip(page.tolist(), shown, strict=True), offset + 1):
            passages = [self._passage_hit(next(fetched), 0.0, i + 1, frozenset()) for i in range(len(rows))]
            hits.append(self._doc_hit(st, store.documents[d], 0.0, rank, passages, filters))
        return SearchResponse(
            query="",
            mode="browse",
            k=k,
            offset=offset,
            filters=describe_filters(filters),
            matched_passages=int(np.count_nonzero(match)),
            matched_documents=int(len(docs)),
            hits=hits,
            timing_ms={"total": round((time.perf_counter() - t0) * 1000, 2)},
        )

    def matched_document_ids(self, query: str | None = None, filters: Filters | None = None) -> list[str]:
        """The ids of the documents in the match set that counts, facets and the gap map
        use (all documents passing the filters without a query), in index order."""
        st = self._state
        docs, _ = self._match_docs(st, query, filters)
        return [st.store.documents[int(d)].id for d in docs]

    def facets(self, query: str | None = None, filters: Filters | None = None) -> Facets:
        """Matching-document counts per country, objective, language, section kind, doc
        type and year, over the whole match set (not just a page of results).

        Disjunctive, as search engines count facets: each list is counted under all the
        chosen filters but its own, so a value's count is what choosing it (instead of, or
        beside, the chosen ones) gives. `matched_documents` is under every filter."""
        st = self._state
        store = st.store
        f = filters or Filters()
        memo: dict[str, Any] = {"broader": not f.is_empty()}  # the query's scores, once for every list
        docs, match = self._match_docs(st, query, filters, memo)
        cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

        def without(**drop) -> tuple[np.ndarray, np.ndarray]:
            """The match set with one filter dimension dropped (the full one if not chosen)."""
            if not any(getattr(f, k) not in (None, ()) for k in drop):
                return docs, match
            key = tuple(sorted(drop))
            if key not in cache:
                cache[key] = self._match_docs(st, query, replace(f, **drop), memo)
            return cache[key]

        def by_count(names: list[str], counts: np.ndarray) -> dict[str, int]:
            order = sorted((-int(n), name) for name, n in zip(names, counts, strict=False) if n)
            return {name: -n for n, name in order}

        # column sums over the matched documents' rows of the store's document x value
        # matrices: no loop over documents (200k of them match a broad query at 1M passages)
        c_docs = without(countries=())[0]
        countries = by_count(store.countries, store.count_docs(store.country_matrix(f.country_sources), c_docs))
        o_docs = without(objectives=())[0]
        sources = f.objective_sources
        per_objective = store.count_docs(store.objective_matrix(sources), o_docs)
        objectives = {n: int(per_objective[n]) for n in range(1, 24) if per_objective[n]}
        given = _given_sources(sources)
        per_given = store.count_docs(store.objective_matrix(given), o_docs) if given else np.zeros(24, dtype=np.int64)
        objectives_inferred = {n: int(per_objective[n] - per_given[n]) for n in objectives if per_objective[n] > per_given[n]}
        languages = by_count(store.doc_langs, store.count_docs(store.doc_lang, without(langs=())[0]))
        per_type = np.bincount(store.doc_type[without(doc_types=())[0]], minlength=len(store.doc_types))
        doc_types = by_count(store.doc_type_names, np.where([bool(t) for t in store.doc_type_names], per_type, 0))
        per_year = store.count_docs(store.doc_year, without(year_from=None, year_to=None)[0])
        years = {y: int(per_year[i]) for i, y in enumerate(store.years) if per_year[i]}
        sections: dict[str, int] = {}
        mrows = np.flatnonzero(without(sections=())[1])
        if len(mrows):
            seen = np.zeros((len(store.sections), len(store.documents)), dtype=bool)
            seen[store.row_section[mrows], store.row_doc[mrows]] = True  # (section, document) pairs
            per_section = seen.sum(axis=1)
            sections = {store.sections[c]: int(per_section[c]) for c in np.flatnonzero(per_section)}
        return Facets(
            matched_documents=int(len(docs)),
            countries=countries,
            objectives=objectives,
            languages=languages,
            sections=sections,
            doc_types=doc_types,
            years=years,
            objectives_inferred=objectives_inferred,
        )

    def gapmap(
        self,
        query: str | None = None,
        filters: Filters | None = None,
        *,
        objective_sources: tuple[str, ...] = DEFAULT_OBJECTIVE_SOURCES,
        by_region: bool = False,
    ) -> dict[str, Any]:
        """Document counts per GCM objective (all 23, zeros included) x country (or
        region): how many matching documents carry both. Countries are the documents'
        explicit and primary ones (the filters' country_sources); objectives come from
        `objective_sources`."""
        from corpus.types import OBJECTIVE_SOURCES

        bad = [s for s in objective_sources if s not in OBJECTIVE_SOURCES]
        if bad or not objective_sources:
            raise SearchError("objective_sources", f"choose from {', '.join(OBJECTIVE_SOURCES)}")
        st = self._state
        docs, _ = self._match_docs(st, query, filters)
        store = st.store
        obj = store.objective_matrix(objective_sources)[docs][:, 1:24]  # (d, 23)
        c_sources = (filters or Filters()).country_sources
        ctry = store.country_matrix(c_sources)[docs][:, : len(store.countries)]  # (d, c)
        columns = list(store.countries)
        names = [country_display_name(c) for c in columns]
        members: dict[str, list[str]] = {}
        if by_region:
            regions = [_country_region(c) for c in columns]
            for c, r in zip(columns, regions, strict=True):
                members.setdefault(r, []).append(c)
            columns = sorted(set(regions))
            names = list(columns)
            reg = np.zeros((len(store.countries), len(columns)), dtype=bool)
            for i, r in enumerate(regions):
                reg[i, columns.index(r)] = True
            ctry = (ctry.astype(np.int32) @ reg.astype(np.int32)) > 0
        counts = obj.astype(np.int32).T @ ctry.astype(np.int32)  # (23, columns)
        given = _given_sources(objective_sources)
        obj_given = (
            store.objective_matrix(given)[docs][:, 1:24] if given else np.zeros_like(obj)
        )
        # cells filled by inference alone: counted in `counts`, and marked apart
        inferred_cells = counts - obj_given.astype(np.int32).T @ ctry.astype(np.int32)
        labels = {n: objective_label(n, "en") for n in range(1, 24)}
        ids = np.array([store.documents[int(d)].id for d in docs], dtype=object)
        rows = [
            {
                "objective": n,
                "label": labels.get(n, f"Objective {n}"),
                "counts": {c: int(counts[n - 1, j]) for j, c in enumerate(columns)},
                # which documents fill each non-empty cell (so a cell can be checked or listed)
                "doc_ids": {
                    c: sorted(ids[obj[:, n - 1] & ctry[:, j]].tolist())
                    for j, c in enumerate(columns)
                    if counts[n - 1, j]
                },
                "documents": int(obj[:, n - 1].sum()),
                "inferred_counts": {
                    c: int(inferred_cells[n - 1, j]) for j, c in enumerate(columns) if inferred_cells[n - 1, j]
                },
                "inferred_documents": int((obj[:, n - 1] & ~obj_given[:, n - 1]).sum()),
            }
            for n in range(1, 24)
        ]
        return {
            "query": query or "",
            "filters": describe_filters(filters),
            "objective_sources": list(objective_sources),
            "by_region": by_region,
            "columns": columns,
            "column_names": names,
            # by region: the index's countries in each, so a cell opens exactly its documents
            # (a search for any of them and the objective)
            "members": members,
            "rows": rows,
            "matrix": counts.tolist(),
            "matched_documents": int(len(docs)),
        }


def _browse_order(store, docs: np.ndarray, sort: str) -> np.ndarray:
    """Positions of `docs` in browse order (see `BrowseMixin.browse`)."""
    dates, title_rank = store.sort_keys()
    if sort == "title":
        return np.argsort(title_rank[docs], kind="stable")
    return np.lexsort((title_rank[docs], -dates[docs]))


def _given_sources(sources: tuple[str, ...]) -> tuple[str, ...]:
    """The sources among `sources` that are not inference (fields and mentions)."""
    return tuple(s for s in sources if s in ("explicit", "mentioned"))


def _country_region(code: str) -> str:
    try:
        from corpus.countries import country_region

        return country_region(code) or "Unknown"
    except Exception:  # noqa: BLE001
        return "Unknown"
