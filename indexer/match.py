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
compute it over all rows, from the one scan that also ranks. Where the engine scores BM25
(Milvus), the word matches are likewise its top rows under the filters
(`indexer.backends.milvus.lexical.MATCH_DEPTH`). A mixin of `SearchIndex`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.backends import Selection
from indexer.ranking import DENSE_FLOORS
from indexer.translations import query_expansion
from indexer.types import Filters

if TYPE_CHECKING:
    from indexer.state import _State


class MatchMixin:
    def _match_rows(
        self, st: _State, allowed: np.ndarray | None, dense_all: np.ndarray | None, lex=None,
        dense_cand: tuple[np.ndarray, np.ndarray] | None = None, coverage=None,
    ) -> np.ndarray:
        """Boolean over rows: the match set (see module docstring). The dense part comes
        from `dense_all` (every row's score) or else from `dense_cand` (rows, scores) of
        an approximate search; `coverage(rows)` (a `QueryCoverage`), given with dense
        evidence, bounds which word matches count: it is asked only of the allowed word
        matches a dense score does not settle. `lex`: the query's lexical scores
        (`st.lexical.query`), whose `words()` are the word matches. Boolean masks over every row throughout: at 1M
        rows a pass over one is cheaper than gathering the many rows a broad query's
        common words match."""
        n = st.store.n_rows
        allow = None
        if allowed is not None:
            allow = np.zeros(n, dtype=bool)
            allow[allowed] = True
        if dense_all is None and lex is None and dense_cand is None:
            return np.ones(n, dtype=bool) if allow is None else allow
        match = np.zeros(n, dtype=bool)
        floor = self._dense_floor(st)
        if lex is not None:
            cand = lex.words()  # the word matches
            if allow is not None:
                cand = cand & allow
            if coverage is not None and self.hybrid.lexical_coverage is not None:
                # a word match alone is not relevance ("final" in "football world cup final"):
                # it needs the query's weight, or a dense score near the floor
                lex_floor = floor - self.hybrid.lexical_floor_gap  # words and meaning both, weakly
                if dense_all is not None:
                    near = dense_all >= lex_floor
                else:
                    near = np.zeros(n, dtype=bool)
                    if dense_cand is not None and len(dense_cand[0]):
                        near[dense_cand[0][dense_cand[1] >= lex_floor]] = True
                match = cand & near
                rest = cand & ~near
                if coverage.has_whole():
                    match |= rest & (coverage.whole() >= self.hybrid.lexical_coverage)
                else:
                    rows = np.flatnonzero(rest)
                    match[rows[coverage(rows) >= self.hybrid.lexical_coverage]] = True
            else:
                match = cand.copy()
        if dense_all is not None:
            live = dense_all if allow is None else np.where(allow, dense_all, -np.inf)
            best = float(live.max()) if n else float("-inf")
            if np.isfinite(best):
                match |= live >= max(best - self.hybrid.dense_margin, floor)
        elif dense_cand is not None and len(dense_cand[0]):
            rows, scores = dense_cand
            match[rows[scores >= max(float(scores.max()) - self.hybrid.dense_margin, floor)]] = True
        return match if allow is None else match & allow

    def _dense_floor(self, st: _State) -> float:
        if self.hybrid.dense_floor is not None:
            return self.hybrid.dense_floor
        return DENSE_FLOORS.get(st.manifest.get("model", {}).get("id", ""), float("-inf"))

    def _dense_for_match(
        self, st: _State, qv: np.ndarray, allowed: np.ndarray | None, rank_depth: int | None = None,
        selection: Selection | None = None, shared: dict[str, Any] | None = None,
    ):
        """(every row's score, None) on an exact backend, one scan that serves both the
        ranking and the match set; (None, the approximate top `match_depth`) otherwise,
        so an approximate backend never scans every row (see the module docstring).

        The approximate candidates also serve the ranking, which needs only `rank_depth`
        of them: under a filter the search may stop once it has that many rather than
        complete all `match_depth` (the match set is a lower bound either way). `shared`:
        a memo across the match sets of one query (see `_from_shared`)."""
        if st.vectors.name in EXACT_BACKENDS:
            return st.vectors.scores_all(qv), None
        n_allowed = st.store.n_rows if allowed is None else len(allowed)
        depth = min(self.hybrid.match_depth, max(n_allowed, 1))
        if shared is not None:
            cand = self._from_shared(st, qv, allowed, depth, rank_depth, shared)
            if cand is not None:
                return None, cand
        return None, self._dense_candidates(st, qv, allowed, depth, min_results=rank_depth, selection=selection)

    def _from_shared(
        self, st: _State, qv: np.ndarray, allowed: np.ndarray | None, depth: int, rank_depth: int | None,
        shared: dict[str, Any],
    ):
        """The dense candidates of one of several match sets of a query (facets), cut from
        one unfiltered graph search kept in `shared`: the unfiltered top `depth`, or the
        allowed rows among the unfiltered neighbours a backend that post-filters would
        fetch for this filter (`postfilter_depth`). None when that does not apply (an
        exact or in-engine filtered search, or too few allowed neighbours); the caller
        then searches as usual."""
        n_allowed = st.store.n_rows if allowed is None else len(allowed)
        want = depth if allowed is None else st.vectors.postfilter_depth(depth, n_allowed, rank_depth)
        if want is None:
            return None
        base = shared.get("unfiltered")
        if base is None:
            k = min(max(self.hybrid.match_depth, want), st.store.n_rows)
            base = shared["unfiltered"] = (*self._dense_candidates(st, qv, None, k), k)
        rows, scores, k = base
        if k < min(want, st.store.n_rows):
            return None
        if allowed is None:
            return rows[:depth], scores[:depth]
        ok = np.zeros(st.store.n_rows, dtype=bool)
        ok[allowed] = True
        keep = np.flatnonzero(ok[rows])[:depth]
        if len(keep) < min(rank_depth or depth, depth, n_allowed):
            return None  # came back short: the backend's own filtered walk completes it
        return rows[keep], scores[keep]

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
        keeps the query's scores that do not depend on the filters (BM25, the rows it
        matches, their coverage, and every row's dense score on an exact backend) across
        calls with other filters (facets; `memo["broader"]`: broader filters will follow,
        so the dense candidates may be cut from one unfiltered search, `_from_shared`)."""
        query = self._check_query(query, required=False)
        allowed = st.store.allowed_rows(filters)
        if query:
            memo = {} if memo is None else memo
            selection = Selection(filters, n_allowed=len(allowed)) if allowed is not None else None
            if "lex" not in memo or not st.lexical.scans_all:  # an engine's scores depend on the filters
                memo["lex"] = st.lexical.query(query, selection, words=self.hybrid.lexical_coverage is not None,
                                               expansion=query_expansion(query, st.translations, self.hybrid))
                memo["coverage"] = (st.lexical.coverage_for(query, memo["lex"], prefer_whole=bool(memo.get("broader")))
                                    if self.hybrid.lexical_coverage is not None else None)
            if "dense_all" in memo:
                dense_all, dense_cand = memo["dense_all"], None
            else:
                # as many dense candidates as a default search page shows (same counts as /search)
                dense_all, dense_cand = self._dense_for_match(
                    st, self._dense_query(query), allowed, DEFAULT_SHOWN, selection,
                    shared=memo if memo.get("broader") else None,
                )
                if dense_all is not None:
                    memo["dense_all"] = dense_all
            match = self._match_rows(st, allowed, dense_all, memo["lex"], dense_cand, memo["coverage"])
        else:
            match = self._match_rows(st, allowed, None, None)
        return st.store.docs_of_rows(match), match


#: Passages a default search page shows (k=10 documents, 3 passages each): what the match
#: set of /facets and /gapmap asks of an approximate filtered search, as /search does.
DEFAULT_SHOWN = 30

#: Backends whose search is an exact scan, which `scores_all` already did.
EXACT_BACKENDS = frozenset({"flat", "numpy"})


