"""BM25 inside Milvus: each row's BM25 weights as a sparse vector, scored by inner product.

At build time the project's own BM25 (`indexer.lexical`, bm25s over bilingual stems)
computes every row's weight per token (what the row adds to a query's score for each
token the query holds); each Milvus row carries them in its `bm25` sparse field
(`fields.add_fields`, an inverted index with inner product). A query is the sparse vector
of its token ids, each with weight 1, so Milvus's inner product *is* the BM25 score the
local index computes: rankings agree with the FAISS backends' (the tests hold them to
the same pages), and the user's filters are the same boolean expression as in the ANN
search, evaluated inside the engine.

A serving process keeps only the vocabulary (token -> id) and each token's document
frequency, for query vectors and the coverage weights (`indexer.lexical.coverage_terms`),
and no per-passage lexical state. Per query, one Milvus call (a search prefetches it
while the query is embedded) asks under the filters for the top `MATCH_DEPTH` rows by
BM25, the ranking's candidates and the match set's word matches (so counts are a lower
bound, as the dense half's on an approximate engine), and in the same call, per query
word, the top rows holding one of its stems: which words a row holds, for the coverage
rule of `indexer.match`. What that leaves unsettled (scores of dense candidates beyond
the BM25 top, words held by more rows than the depth) is asked for exactly those rows.

Why not Milvus's built-in BM25 function: its analyzer tokenises one way per field and
keeps its own statistics, so its scores, and with them the hybrid ranking, would differ
from the FAISS backends'; the project's tokenisation (Spanish and English stems of every
word, French stems in their own namespace) has no Milvus analyzer. IDF is fixed at build
time, which costs nothing here: every build writes a new collection.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from indexer.backends.milvus import fields
from indexer.lexical import DOC_FREQ, TERMS, coverage_terms, query_tokens

#: BM25 rows fetched per query at first, and holders per query word: the ranking's
#: candidates and the match set's word matches (the local index counts every word match;
#: here a lower bound). As deep as the dense half's match candidates
#: (`HybridParams.match_depth`): on Milvus Lite each hit returned costs about 0.1 ms
#: (a dense search for 256 took 42 ms, for 100 21 ms, sample corpus, AMD EPYC Zen 3).
MATCH_DEPTH = 256


class MilvusLexical:
    """The lexical half of a serving process on a Milvus index built with BM25 weights."""

    #: the scores come from the engine for the rows it returns, not for every row
    scans_all = False

    def __init__(self, backend, vocab: dict[str, int], doc_freq: np.ndarray, n_rows: int):
        self.backend, self.vocab, self.doc_freq, self.n_rows = backend, vocab, doc_freq, int(n_rows)

    @classmethod
    def load(cls, directory: str | Path, backend) -> MilvusLexical:
        d = Path(directory)
        vocab = json.loads((d / TERMS).read_text(encoding="utf-8"))
        return cls(backend, vocab, np.load(d / DOC_FREQ), int((d / "n_rows.txt").read_text()))

    def query(self, query: str, selection=None, words: bool = True, expansion: str = "") -> MilvusScores:
        """The query's BM25 scores under `selection` (a `Selection`; None: every row);
        `words`: ask which query words the top rows hold (for the coverage rule);
        `expansion`: words scored with the query's, not weighed by its coverage (as locally)."""
        expr = fields.expression(selection.filters, selection.exclude_doc) if selection is not None else ""
        return MilvusScores(self, query, expr, words, expansion)

    def word_queries(self, query: str) -> tuple[list[dict[int, float]], list[float], float]:
        """(a sparse query per query word: its stems, each word's coverage weight, their
        total), as `indexer.lexical.coverage_terms` weighs them."""
        tokens, word_of, weights, total = coverage_terms(query, self.vocab, self.doc_freq.__getitem__, float(self.n_rows))
        per_word: list[dict[int, float]] = [{} for _ in weights]
        for t, w in zip(tokens, word_of, strict=True):
            per_word[w][int(t)] = 1.0
        return per_word, weights, total

    def holders(self, queries: list[dict[int, float]], rows: np.ndarray) -> list[set[int]]:
        """Per sparse query, which of `rows` score above zero (hold one of its tokens)."""
        out: list[set[int]] = [set() for _ in queries]
        live = [i for i, q in enumerate(queries) if q]
        for part in _chunks(np.asarray(rows, dtype=np.int64)):
            if not live:
                break
            hits = self.backend.sparse_search([queries[i] for i in live], len(part), fields.rows_expression(part))
            for i, found in zip(live, hits, strict=True):
                out[i].update(r for r, sc in found if sc > 0)
        return out

    def coverage_of(self, query: str, rows: np.ndarray, whole=None) -> np.ndarray:
        """Per given row, the share of the query's weight its words carry (as
        `LexicalIndex.coverage`): one Milvus call, a sparse query per word (its stems)
        restricted to these rows."""
        rows = np.asarray(rows, dtype=np.int64)
        queries, weights, total = self.word_queries(query)
        out = np.zeros(len(rows), dtype=np.float32)
        if total <= 0 or not len(rows):
            return out
        return _coverage(rows, self.holders(queries, rows), weights, total)

    def coverage_for(self, query: str, lex: MilvusScores, prefer_whole: bool = False) -> MilvusScores:
        """What the match set asks coverage of (`indexer.lexical_scores.QueryCoverage`'s calls):
        the query's scores object, which knows which words its top rows hold."""
        return lex


class MilvusScores:
    """A query's BM25 scores from Milvus (the interface of `indexer.lexical_scores.WholeScores`,
    and the coverage calls of `indexer.lexical_scores.QueryCoverage`): the first use makes one
    call for the top rows under the filter expression and, with `words`, the top holders
    of each query word; a ranking that asks for more fetches deeper, and other rows'
    scores and words are asked for those rows."""

    def __init__(self, lexical: MilvusLexical, query: str, expr: str, words: bool = True, expansion: str = ""):
        self.lexical, self.expr = lexical, expr
        scored = f"{query} {expansion}" if expansion else query
        self.vector = {int(t): 1.0 for t in query_tokens(scored, lexical.vocab)}
        self._word_q, self._word_wt, self._total = lexical.word_queries(query) if words else ([], [], 0.0)
        self._held: list[set[int]] = [set() for _ in self._word_q]
        self._held_all = [False] * len(self._word_q)  # a word's holders all known (fewer than the depth)
        self._asked: set[int] = set()  # rows whose words are known
        self._known: dict[int, float] = {}
        self._rows = np.zeros(0, np.int64)  # the top rows fetched, best first
        self._scores = np.zeros(0, np.float32)
        self._complete = not self.vector  # no query token in the index: nothing matches
        self._words: np.ndarray | None = None
        self._fetched = self._complete
        self._lock = threading.RLock()  # a prefetch thread and the search may ask at once

    def _first(self) -> None:
        """The first fetch, on first use (a search starts it in a prefetch thread)."""
        with self._lock:
            if self._fetched:
                return
            limit = min(MATCH_DEPTH, self.lexical.backend.max_topk)
            live = [j for j, q in enumerate(self._word_q) if q]  # a word none of whose stems occurs: held by none
            res = self.lexical.backend.sparse_search([self.vector, *(self._word_q[j] for j in live)], limit, self.expr)
            self._take(res[0], limit)
            self._held_all = [True] * len(self._word_q)
            for j, found in zip(live, res[1:], strict=True):
                self._held[j].update(r for r, sc in found if sc > 0)
                self._held_all[j] = len(found) < limit
            self._fetched = True

    def _take(self, hits: list[tuple[int, float]], limit: int) -> None:
        hits = sorted(((r, s) for r, s in hits if s > 0), key=lambda h: (-h[1], h[0]))  # ties by row, as locally
        self._rows = np.array([r for r, _ in hits], dtype=np.int64)
        self._scores = np.array([s for _, s in hits], dtype=np.float32)
        self._known.update(hits)
        self._complete = len(hits) < limit
        self._words = None

    def top(self, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, rows) with a positive score under the filter expression (the
        rows `allowed` names: the engine applies the same filters)."""
        self._first()
        with self._lock:
            if len(self._rows) < k and not self._complete:
                limit = min(max(k, 4 * len(self._rows)), self.lexical.backend.max_topk)
                self._take(self.lexical.backend.sparse_search([self.vector], limit, self.expr)[0], limit)
            return self._scores[:k], self._rows[:k]

    def at(self, rows) -> np.ndarray:
        """The scores of the given rows (0 where no query token occurs)."""
        rows = np.asarray(rows, dtype=np.int64)
        self._first()
        with self._lock:
            if not self._complete:
                missing = np.array(sorted({int(r) for r in rows.tolist()} - self._known.keys()), dtype=np.int64)
                if len(missing):
                    self._known.update(dict.fromkeys(missing.tolist(), 0.0))
                    for part in _chunks(missing):
                        found = self.lexical.backend.sparse_search([self.vector], len(part), fields.rows_expression(part))
                        self._known.update((r, sc) for r, sc in found[0] if sc > 0)
            return np.array([self._known.get(int(r), 0.0) for r in rows.tolist()], dtype=np.float32)

    def words(self) -> np.ndarray:
        """Mask of the word matches fetched (all of them when fewer than the depth match)."""
        self._first()
        with self._lock:
            if self._words is None:
                self._words = np.zeros(self.lexical.n_rows, dtype=bool)
                self._words[self._rows] = True
            return self._words

    # -- the coverage rule's calls (`indexer.lexical_scores.QueryCoverage`) -------------------
    def has_whole(self) -> bool:
        return False  # never every row's: the rows asked

    def __call__(self, rows) -> np.ndarray:
        """The coverage of the given rows: the words each holds, from the first call's
        holders where they settle it, else asked for those rows."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._total <= 0 or not len(rows):
            return np.zeros(len(rows), dtype=np.float32)
        self._first()
        with self._lock:
            unknown = np.array(sorted({int(r) for r in rows.tolist()} - self._asked), dtype=np.int64)
            open_words = [j for j, done in enumerate(self._held_all) if not done]
            if len(unknown) and open_words:
                found = self.lexical.holders([self._word_q[j] for j in open_words], unknown)
                for j, held in zip(open_words, found, strict=True):
                    self._held[j].update(held)
            self._asked.update(unknown.tolist())
            return _coverage(rows, self._held, self._word_wt, self._total)


def _coverage(rows: np.ndarray, held: list[set[int]], weights: list[float], total: float) -> np.ndarray:
    """Per row, the weight of the query words it holds (`held[j]`: the rows holding word
    j), as a share of `total`."""
    out = np.zeros(len(rows), dtype=np.float32)
    for rows_with, wt in zip(held, weights, strict=True):
        out += np.float32(wt) * np.fromiter((r in rows_with for r in rows.tolist()), dtype=bool, count=len(rows))
    return out / np.float32(total)


def _chunks(rows: np.ndarray):
    step = fields.MAX_IDS_PER_EXPRESSION
    for s in range(0, len(rows), step):
        yield rows[s : s + step]
