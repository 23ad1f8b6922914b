"""Similar practices: the documents most alike one document, from every language.

`SimilarMixin` is part of the `SearchIndex` facade (indexer.search). The query is the
normalised mean of the document's passage vectors; documents rank by their best passage.
Each language of the collection is searched on its own and its scores are calibrated
onto the scale of the document's own language (`indexer.calibration`), so a Spanish
evaluation's similar practices include the English ones that are as close, and the
reverse, instead of every neighbour sharing its language.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import numpy as np

from indexer.backends import Selection
from indexer.filters import describe_filters
from indexer.types import DocumentHit, Filters, SearchResponse, UnknownDocument


class SimilarMixin:
    def similar(self, doc_id: str, filters: Filters | None = None, *, k: int = 10) -> SearchResponse:
        """Documents most alike `doc_id`, never the document itself (module docstring)."""
        t0 = time.perf_counter()
        st = self._state
        self._check_k(k)
        di = st.store.doc_index.get(doc_id)
        if di is None:
            raise UnknownDocument(doc_id)
        own = st.store.rows_of_doc(di)
        mask = st.store.row_mask(filters)
        mask[own] = False
        allowed = np.flatnonzero(mask)
        hits: list[DocumentHit] = []
        if len(own) and len(allowed):
            qv = st.vectors.vectors(own).mean(axis=0)
            qv = (qv / max(np.linalg.norm(qv), 1e-12)).astype(np.float32)
            ref = Counter(st.row_langs(own).tolist()).most_common(1)[0][0]
            cal = st.calibration
            groups: list[tuple[np.ndarray, Selection]] = []
            if ref in cal.languages and len(cal.languages) > 1:
                plang = st.row_langs(allowed)
                for lg in cal.languages:
                    part = allowed[plang == lg]
                    if len(part):
                        groups.append((part, Selection(replace(filters or Filters(), langs=(lg,)), exclude_doc=di,
                                                       n_allowed=len(part))))
                rest = allowed[~np.isin(plang, cal.languages)]
                if len(rest):
                    groups.append((rest, Selection(None, exclude_doc=di)))  # ids decide (no filter form)
            else:
                groups.append((allowed, Selection(filters, exclude_doc=di, n_allowed=len(allowed))))
            shift = cal.shifts(qv, ref) if len(groups) > 1 else {}
            all_rows, all_scores = [], []
            for part, sel in groups:
                rows, scores = self._nearest(st, qv, part, sel if len(groups) == 1 or sel.filters else None, k)
                all_rows.append(rows)
                all_scores.append(cal.apply(scores, st.row_langs(rows), shift))
            rows, scores = np.concatenate(all_rows), np.concatenate(all_scores)
            order = np.lexsort((rows, -scores))
            hits = self._group(st, rows[order], scores[order], 0, k, 1, frozenset(), filters)
        return SearchResponse(
            query=doc_id,
            mode="similar",
            k=k,
            offset=0,
            filters=describe_filters(filters),
            matched_passages=int(len(allowed)),
            matched_documents=len(st.store.docs_of_rows(allowed)),
            hits=hits,
            timing_ms={"total": round((time.perf_counter() - t0) * 1000, 2)},
        )

    def _nearest(self, st, qv: np.ndarray, allowed: np.ndarray, selection: Selection | None, k: int):
        """(rows, scores) of the nearest allowed passages, deep enough to hold k documents."""
        depth = max(self.hybrid.depth, k * 3)
        while True:
            s, r = st.vectors.search(qv.reshape(1, -1), min(depth, len(allowed)), allowed, selection=selection)
            keep = r[0] >= 0
            rows, scores = r[0][keep], s[0][keep]
            if len(np.unique(st.store.row_doc[rows])) >= k or depth >= len(allowed):
                return rows, scores
            depth *= 4
