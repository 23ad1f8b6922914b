"""The match set: which passages (and so documents) a query counts, facets and maps.

Always restricted to passages passing the filters; with an empty query, all of them. With a
query (see `MatchMixin._match_rows`): a passage whose dense score is within `dense_margin`
of the best filtered score and at least the model's calibrated floor (`DENSE_FLOORS`), or
one that BM25 matches and that either carries `lexical_coverage` of the query's IDF weight
or scores densely at least the floor less `lexical_floor_gap` (in bm25 mode every word match
counts). A document matches when one of its passages does. The rule does not depend on the
page asked for, so totals never change while paging.

With an approximate vector backend the dense part comes from the top `match_depth`
candidates (counts are then a lower bound, `counts_exact = False`); the exact backends
compute it over all rows, from the one scan that also ranks. A mixin of `SearchIndex`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.backends import Selection
from indexer.ranking import DENSE_FLOORS
from indexer.types import Filters

if TYPE_CHECKING:
    from indexer.search import _State


def _coverage_fn(lexical: Any, query: str):
    """coverage(rows) for one query, the whole array computed at most once (facets ask
    for several match sets of the same query)."""
    whole: list[np.ndarray] = []

    def full() -> np.ndarray:
        if not whole:
            whole.append(lexical.coverage(query))
        return whole[0]

    return lambda rows: lexical.coverage_of(query, rows, whole=full)


class MatchMixin:
    def _match_rows(
        self, st: _State, allowed: np.ndarray | None, dense_all: np.ndarray | None, bm25_all: np.ndarray | None,
        dense_cand: tuple[np.ndarray, np.ndarray] | None = None, coverage=None,
    ) -> np.ndarray:
        """Boolean over rows: the match set (see module docstring). The dense part comes
        from `dense_all` (every row's score) or else from `dense_cand` (rows, scores) of
        an approximate search; `coverage(rows)` (LexicalIndex.coverage_of for the query),
        given with dense evidence, bounds which word matches count: it is asked only of
        the allowed word matches a dense score does not settle."""
        n = st.store.n_rows
        allow = np.ones(n, dtype=bool)
        if allowed is not None:
            allow = np.zeros(n, dtype=bool)
            allow[allowed] = True
        if dense_all is None and bm25_all is None and dense_cand is None:
            return allow
        match = np.zeros(n, dtype=bool)
        floor = self._dense_floor(st)
        if bm25_all is not None:
            rows = np.flatnonzero((bm25_all > 0) & allow)  # the word matches (not every row)
            if coverage is not None and self.hybrid.lexical_coverage is not None and len(rows):
                # a word match alone is not relevance ("final" in "football world cup final"):
                # it needs the query's weight, or a dense score near the floor
                lex_floor = floor - self.hybrid.lexical_floor_gap  # words and meaning both, weakly
                near = np.zeros(len(rows), dtype=bool)
                if dense_all is not None:
                    near = dense_all[rows] >= lex_floor
                elif dense_cand is not None and len(dense_cand[0]):
                    near_rows = dense_cand[0][dense_cand[1] >= lex_floor]
                    near = np.isin(rows, near_rows, assume_unique=True) if len(near_rows) else near
                match[rows[near]] = True
                rest = rows[~near]
                match[rest[coverage(rest) >= self.hybrid.lexical_coverage]] = True
            else:
                match[rows] = True
        if dense_all is not None and allow.any():
            best = float(dense_all[allow].max())
            match |= dense_all >= max(best - self.hybrid.dense_margin, floor)
        elif dense_cand is not None and len(dense_cand[0]):
            rows, scores = dense_cand
            match[rows[scores >= max(float(scores.max()) - self.hybrid.dense_margin, floor)]] = True
        return match & allow

    def _dense_floor(self, st: _State) -> float:
        if self.hybrid.dense_floor is not None:
            return self.hybrid.dense_floor
        return DENSE_FLOORS.get(st.manifest.get("model", {}).get("id", ""), float("-inf"))

    def _dense_for_match(
        self, st: _State, qv: np.ndarray, allowed: np.ndarray | None, rank_depth: int | None = None,
        selection: Selection | None = None,
    ):
        """(every row's score, None) on an exact backend, one scan that serves both the
        ranking and the match set; (None, the approximate top `match_depth`) otherwise,
        so an approximate backend never scans every row (see the module docstring).

        The approximate candidates also serve the ranking, which needs only `rank_depth`
        of them: under a filter the search may stop once it has that many rather than
        complete all `match_depth` (the match set is a lower bound either way)."""
        if st.vectors.name in EXACT_BACKENDS:
            return st.vectors.scores_all(qv), None
        n_allowed = st.store.n_rows if allowed is None else len(allowed)
        depth = min(self.hybrid.match_depth, max(n_allowed, 1))
        return None, self._dense_candidates(st, qv, allowed, depth, min_results=rank_depth, selection=selection)

    def _dense_candidates(
        self, st: _State, qv: np.ndarray, allowed: np.ndarray | None, depth: int, min_results: int | None = None,
        selection: Selection | None = None,
    ):
        """(rows, scores) of the approximate dense top `depth` among allowed rows, best first."""
        ds, dr = st.vectors.search(qv.reshape(1, -1), depth, allowed, min_results=min_results, selection=selection)
        keep = dr[0] >= 0
        return dr[0][keep], ds[0][keep]

    def _match_docs(
        self, st: _State, query: str | None, filters: Filters | None, memo: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(document indices, row mask) of the match set for an optional query. `memo`
        keeps the query's scores that do not depend on the filters (BM25, and every row's
        dense score on an exact backend) across calls with other filters (facets)."""
        query = self._check_query(query, required=False)
        allowed = st.store.allowed_rows(filters)
        if query:
            memo = {} if memo is None else memo
            if "bm25" not in memo:
                memo["bm25"] = st.lexical.scores(query)
                memo["coverage"] = _coverage_fn(st.lexical, query) if self.hybrid.lexical_coverage is not None else None
            if "dense_all" in memo:
                dense_all, dense_cand = memo["dense_all"], None
            else:
                # as many dense candidates as a default search page shows (same counts as /search)
                dense_all, dense_cand = self._dense_for_match(
                    st, self._dense_query(query), allowed, DEFAULT_SHOWN,
                    Selection(filters, n_allowed=len(allowed)) if allowed is not None else None,
                )
                if dense_all is not None:
                    memo["dense_all"] = dense_all
            match = self._match_rows(st, allowed, dense_all, memo["bm25"], dense_cand, memo["coverage"])
        else:
            match = self._match_rows(st, allowed, None, None)
        return st.store.docs_of_rows(match), match


#: Passages a default search page shows (k=10 documents, 3 passages each): what the match
#: set of /facets and /gapmap asks of an approximate filtered search, as /search does.
DEFAULT_SHOWN = 30

#: Backends whose search is an exact scan, which `scores_all` already did.
EXACT_BACKENDS = frozenset({"flat", "numpy"})


