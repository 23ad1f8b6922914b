"""`SearchIndex`: the one facade over the vector index, BM25 and the metadata store.

The CLI, the API and eval call this and nothing else in `indexer`.

Ranking modes
-------------
- ``dense``: inner product of the query embedding with passage embeddings (backend).
- ``bm25``: BM25 over bilingual stemmed tokens (indexer.lexical; on a Milvus index the same
  scores, computed inside Milvus: indexer.backends.milvus.lexical).
- ``hybrid`` (default): weighted CombSUM of min-max normalised scores over the union of
  the top ``depth`` candidates of each ranking (both scores are known exactly for every
  candidate). The lexical part is language-aware: a passage in a language other than the
  query's gets its lexical weight multiplied by ``cross_lang_lexical`` (0.5 by default):
  across languages BM25 still matches names, numbers and cognates, but weakly, so it gets
  half the say. See `HybridParams` for the knobs and the measurements behind the defaults.

Match set (``matched_passages``, ``matched_documents``, facets, gap map)
-----------------------------------------------------------------------
What a query counts: `indexer.match` says the rule. Results themselves are never truncated
to it: dense and hybrid rank every filtered passage, so a filtered query returns k results
whenever at least k passages (k documents when grouped) pass the filters; a hit outside the
match set says so (``relevant`` False: the nearest there is). With an approximate vector
backend (hnsw, ivf) one graph search per query feeds both the match set and the ranking,
and under a filter it may stop once it holds what the page shows.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from corpus.types import Document, Passage
from indexer.backends import Selection
from indexer.browse import BrowseMixin
from indexer.build import get_embedder, resolve_index_dir
from indexer.filters import describe_filters
from indexer.highlight import highlight, query_terms
from indexer.match import EXACT_BACKENDS, MatchMixin
from indexer.ranking import (  # noqa: F401  HybridParams, fuse_wsum, detect_query_lang: re-exported
    HybridParams,
    _dense_scores,
    _prefetch_pool,
    _shifted,
    _top_dense,
    apply_reference_prior,
    detect_query_lang,
    fuse_wsum,
)
from indexer.similar import SimilarMixin
from indexer.state import _check_model, _read_manifest, _State
from indexer.translations import query_expansion
from indexer.types import (
    DEFAULT_OBJECTIVE_SOURCES,
    MODES,
    DocumentHit,
    Filters,
    PassageHit,
    SearchError,
    SearchResponse,
    UnknownDocument,
)


class SearchIndex(BrowseMixin, SimilarMixin, MatchMixin):
    """Open an index directory and answer searches, facets, similar documents, gap maps."""

    def __init__(self, index_dir: Path, state: _State, embedder, hybrid: HybridParams | None = None, settings=None):
        self.index_dir = index_dir
        self._state = state
        self.embedder = embedder
        self.hybrid = hybrid or HybridParams()
        if settings is None:
            from practice_search.config import get_settings

            settings = get_settings()
        self.settings = settings
        self._reload_lock = threading.Lock()
        self._link_target = self._target()

    # -- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, index_dir: str | Path, embedder=None, *, hybrid: HybridParams | None = None, settings=None) -> SearchIndex:
        """Load the index at `index_dir`. With no embedder, load the manifest's model.
        Refuses an embedder whose model differs from the one the index was built with."""
        index_dir = Path(index_dir)
        version = resolve_index_dir(index_dir)
        manifest = _read_manifest(version, index_dir)
        if embedder is None:
            embedder = get_embedder(manifest["model"]["id"], settings)
        _check_model(manifest, embedder, index_dir)
        return cls(index_dir, _State(version, manifest), embedder, hybrid, settings)

    def _target(self) -> str:
        try:
            return os.readlink(self.index_dir) if self.index_dir.is_symlink() else str(self.index_dir)
        except OSError:
            return ""

    def reload_if_changed(self) -> bool:
        """Load the index again if a build switched it since (one readlink when not).
        Searches already running keep the state they started with."""
        target = self._target()
        if target == self._link_target:
            return False
        with self._reload_lock:
            if target == self._link_target:
                return False
            version = resolve_index_dir(self.index_dir)
            manifest = _read_manifest(version, self.index_dir)
            _check_model(manifest, self.embedder, self.index_dir)
            self._state = _State(version, manifest)
            self._link_target = target
            return True

    @property
    def manifest(self) -> dict[str, Any]:
        return self._state.manifest

    def stats(self) -> dict[str, Any]:
        m = self._state.manifest
        return {
            "documents": len(self._state.store.documents),
            "passages": self._state.store.n_rows,
            "model": m["model"]["id"],
            "dim": m["model"]["dim"],
            "backend": m["backend"],
            "built_at": m["built_at"],
            "index": str(self.index_dir),
            "version": self._state.version_dir.name,
        }

    def document(self, doc_id: str) -> Document:
        doc = self._state.store.document(doc_id)
        if doc is None:
            raise UnknownDocument(doc_id)
        return doc

    # -- validation ----------------------------------------------------------------
    def _check_query(self, query: str | None, *, required: bool) -> str:
        if query is None:
            query = ""
        if not isinstance(query, str):
            raise SearchError("query", "must be text")
        query = query.strip()
        try:
            query.encode("utf-8")
        except UnicodeEncodeError:
            raise SearchError(
                "query", "holds characters that are not valid Unicode text (lone surrogates); send UTF-8 text"
            ) from None
        if required and not query:
            raise SearchError("query", "is empty; type some words to search for")
        if len(query) > self.settings.max_query_chars:
            raise SearchError(
                "query", f"is {len(query)} characters long; the limit is {self.settings.max_query_chars}"
            )
        return query

    def _check_k(self, k: int, offset: int = 0) -> None:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= self.settings.max_k:
            raise SearchError("k", f"must be a whole number from 1 to {self.settings.max_k}, got {k!r}")
        if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or offset < 0:
            raise SearchError("offset", f"must be a whole number >= 0, got {offset!r}")

    # -- the core ------------------------------------------------------------------
    def _dense_query(self, query: str) -> np.ndarray:
        v = np.asarray(self.embedder.embed_queries([query]), dtype=np.float32)
        return v.reshape(-1)

    def _rank(
        self, st: _State, query: str, mode: str, allowed: np.ndarray | None, depth: int,
        qv: np.ndarray | None, lex, qlang: str,
        dense_all: np.ndarray | None = None, dense_cand: tuple[np.ndarray, np.ndarray] | None = None,
        dense_cand_min: int = 0, selection: Selection | None = None, prefetched=None,
        lang_shift: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) best first, at most `depth` long (fused for hybrid). The dense
        candidates come from `dense_all` (exact backends), else from the match set's
        approximate candidates `dense_cand` when they hold at least `dense_cand_min` (what
        the page shows; up to `depth` of them are used), else from a search of their own.
        `lex`: the query's lexical scores (`st.lexical.query`), for modes bm25 and hybrid.
        `prefetched`: the future of the BM25 fetch started before the dense search (its
        failure is raised here).
        `lang_shift`: per language code, what the dense scores of that language gain to be
        on the query language's scale (indexer.calibration); the ranking uses the shifted
        scores, the match set the raw ones."""
        if mode == "bm25":
            scores, rows = lex.top(depth, allowed)
            return rows, scores
        if lang_shift is not None and dense_all is not None:
            dense_all = dense_all + lang_shift[st.store.row_lang]
        if lang_shift is not None and dense_cand is not None:
            dense_cand = _shifted(st, *dense_cand, lang_shift)
        if dense_all is not None and st.vectors.name in EXACT_BACKENDS:
            # exact backend: the full score vector is already computed (for the match
            # set), so rank from it rather than scanning every vector a second time
            d_rows, d_scores = _top_dense(dense_all, depth, allowed)
        elif dense_cand is not None and len(dense_cand[0]) >= min(
            dense_cand_min, depth, st.store.n_rows if allowed is None else len(allowed)
        ):
            d_rows, d_scores = dense_cand[0][:depth], dense_cand[1][:depth]
        else:
            d_rows, d_scores = self._dense_candidates(st, qv, allowed, depth, selection=selection)
            if lang_shift is not None:
                d_rows, d_scores = _shifted(st, d_rows, d_scores, lang_shift)
        if mode == "dense":
            return d_rows, d_scores
        if prefetched is not None:
            prefetched.result()
        b_scores, b_rows = lex.top(depth, allowed)
        cand = np.union1d(d_rows, b_rows)
        if len(cand) == 0:
            return cand, np.zeros(0, np.float32)
        if dense_all is not None:
            dense_c = dense_all[cand]
        else:
            known = (d_rows, d_scores) if dense_cand is None else (
                np.concatenate([d_rows, dense_cand[0]]), np.concatenate([d_scores, dense_cand[1]]))
            dense_c = _dense_scores(st, cand, known, qv, lang_shift)
        lex_c = lex.at(cand)
        factor: np.ndarray | float = 1.0
        if qlang != "und" and self.hybrid.cross_lang_lexical != 1.0:
            plang = st.row_langs(cand)
            same = (plang == qlang) | (plang == "und")
            factor = np.where(same, 1.0, self.hybrid.cross_lang_lexical)
        fused = fuse_wsum(dense_c, lex_c, self.hybrid.lexical_weight, factor)
        order = np.lexsort((cand, -fused))
        return cand[order], fused[order].astype(np.float32)

    def search(
        self,
        query: str,
        filters: Filters | None = None,
        *,
        mode: str = "hybrid",
        k: int = 10,
        offset: int = 0,
        group: bool = True,
        passages_per_doc: int = 3,
    ) -> SearchResponse:
        """Rank passages for `query` among those passing `filters`.

        group=True: `hits` are documents ranked by their best passage, each with up to
        `passages_per_doc` best passages; group=False: `passages` are passage hits.
        `matched_passages` / `matched_documents`: the match set (module docstring).
        Raises SearchError for an empty or over-long query, k outside 1..max_k,
        offset < 0, an unknown mode."""
        t0 = time.perf_counter()
        st = self._state
        query = self._check_query(query, required=True)
        self._check_k(k, offset)
        if mode not in MODES:
            raise SearchError("mode", f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if passages_per_doc < 1:
            raise SearchError("passages_per_doc", "must be at least 1")
        allowed = st.store.allowed_rows(filters)
        n_allowed = st.store.n_rows if allowed is None else len(allowed)
        selection = Selection(filters, n_allowed=n_allowed) if allowed is not None else None

        t_embed = 0.0
        qv = dense_all = None
        ts = time.perf_counter()
        rule = mode == "hybrid" and self.hybrid.lexical_coverage is not None  # the match set's coverage rule
        qlang = detect_query_lang(query)
        extra = query_expansion(query, st.translations, self.hybrid, qlang) if mode in ("bm25", "hybrid") else ""
        lex = st.lexical.query(query, selection, words=rule, expansion=extra) if mode in ("bm25", "hybrid") else None
        coverage = st.lexical.coverage_for(query, lex) if rule else None
        need = offset + k
        depth = max(self.hybrid.depth, need * (passages_per_doc if group else 1))
        prefetched = None
        if mode == "hybrid" and not st.vectors.local:
            # a remote engine: the BM25 candidates (from the engine, where it scores BM25)
            # are fetched while the query is embedded and the dense search runs. Not their
            # vectors: the dense search returns the scores of most of them, and the fusion
            # fetches the rest (`_dense_scores`); a fetch of them all beside the dense search
            # competed with it (sample corpus, in-process search p50 80.6 and 88.9 ms with
            # it, 66.2 and 74.6 without, two runs each; Zen 3)
            def bm25_candidates():
                lex.top(min(depth, max(n_allowed, 1)), allowed)

            prefetched = _prefetch_pool().submit(bm25_candidates)
        if mode in ("dense", "hybrid"):
            te = time.perf_counter()
            qv = self._dense_query(query)
            t_embed = time.perf_counter() - te
        dense_cand = None
        cand_min = need * (passages_per_doc if group else 1)  # the ranking needs what the page shows
        lang_shift = None
        if qv is not None:
            dense_all, dense_cand = self._dense_for_match(
                st, qv, allowed, min(cand_min, max(n_allowed, 1)), selection
            )
            if self.hybrid.calibrate_languages:
                # an undetected language ("und": names, acronyms) or one the collection
                # lacks is calibrated onto the language the query sits nearest
                lang_shift = st.calibration.code_shift(qv, qlang, st.store.langs)
        while True:
            rows, scores = self._rank(
                st, query, mode, allowed, min(depth, max(n_allowed, 1)), qv, lex, qlang, dense_all, dense_cand,
                dense_cand_min=cand_min, selection=selection, prefetched=prefetched, lang_shift=lang_shift,
            )
            rows, scores = apply_reference_prior(st.store, rows, scores, self.hybrid.reference_prior)
            if not group:
                enough = len(rows) >= need
            else:
                enough = len(np.unique(st.store.row_doc[rows])) >= need if len(rows) else False
            if enough or depth >= n_allowed:
                break
            depth *= 4
            cand_min = depth  # a deeper ranking reuses the candidates only if they reach its depth
        match = self._match_rows(st, allowed, dense_all, lex, dense_cand, coverage)
        terms = query_terms(f"{query} {extra}")  # a passage in another language marks the glossary's words
        hits: list[DocumentHit] = []
        phits: list[PassageHit] = []
        # results are not cut to the match set: the nearest passages are shown even when
        # none is relevant, each saying whether it is (the counts never depend on the page)
        if group:
            hits = self._group(st, rows, scores, offset, k, passages_per_doc, terms, filters, match)
        else:
            shown = rows[offset:need].tolist()
            for i, (r, p) in enumerate(zip(shown, st.store.passages_at(shown), strict=True), start=offset):
                phits.append(self._passage_hit(p, float(scores[i]), i + 1, terms))
                phits[-1].relevant = bool(match[r])
        t_search = time.perf_counter() - ts
        return SearchResponse(
            query=query,
            mode=mode,
            k=k,
            offset=offset,
            filters=describe_filters(filters),
            matched_passages=int(np.count_nonzero(match)),
            matched_documents=len(st.store.docs_of_rows(match)),
            counts_exact=dense_cand is None,
            hits=hits,
            passages=phits,
            timing_ms={
                "embed": round(t_embed * 1000, 2),
                "search": round(t_search * 1000, 2),
                "total": round((time.perf_counter() - t0) * 1000, 2),
            },
        )

    def _passage_hit(self, p: Passage, score: float, rank: int, terms) -> PassageHit:
        return PassageHit(
            passage_id=p.id,
            doc_id=p.doc_id,
            text=p.text,
            highlighted=highlight(p.text, terms, p.lang),
            section=p.section,
            section_kind=p.section_kind,
            lang=p.lang,
            score=round(float(score), 6),
            rank=rank,
            objectives=[{"number": o.number, "confidence": round(o.score, 3)} for o in p.objectives],
        )

    def _doc_hit(self, st: _State, doc: Document, score: float, rank: int, passages, filters) -> DocumentHit:
        sources = filters.objective_sources if filters is not None else DEFAULT_OBJECTIVE_SOURCES
        return DocumentHit(
            doc_id=doc.id,
            title=doc.title,
            score=round(float(score), 6),
            countries=list(doc.countries.codes((filters or Filters()).country_sources)),
            objectives=list(doc.objectives.numbers(sources)),
            languages=list(doc.languages),
            years=list(doc.years),
            published=doc.published,
            doc_type=doc.doc_type,
            passages=passages,
            rank=rank,
            inferred=[
                {"number": o.number, "confidence": round(o.score, 3),
                 "source": "inferred" if o.confident else "suggested"}
                for o in sorted(doc.objectives.inferred_only(sources), key=lambda o: o.number)
            ],
        )

    def _group(self, st, rows, scores, offset, k, per_doc, terms, filters, match=None) -> list[DocumentHit]:
        """Document hits of a ranking's page, each with its best `per_doc` passages (one
        fetch of them all); `match`: the match set's row mask, marking relevant ones."""
        order: list[int] = []
        best: dict[int, list[tuple[int, float, int]]] = {}
        for i, (r, s) in enumerate(zip(rows.tolist(), scores.tolist(), strict=True)):
            d = int(st.store.row_doc[r])
            if d not in best:
                if len(order) >= offset + k:
                    continue
                order.append(d)
                best[d] = []
            if len(best[d]) < per_doc:
                best[d].append((r, s, i + 1))
        page = order[offset : offset + k]
        shown = [r for d in page for r, _, _ in best[d]]
        passage = dict(zip(shown, st.store.passages_at(shown), strict=True))
        hits = []
        for rank, d in enumerate(page, start=offset + 1):
            ps = [self._passage_hit(passage[r], s, pr, terms) for r, s, pr in best[d]]
            hit = self._doc_hit(st, st.store.documents[d], best[d][0][1], rank, ps, filters)
            if match is not None:
                for p, (r, _, _) in zip(ps, best[d], strict=True):
                    p.relevant = bool(match[r])
                hit.relevant = any(p.relevant for p in ps)
            hits.append(hit)
        return hits

    # -- facets and gap map --------------------------------------------------------
