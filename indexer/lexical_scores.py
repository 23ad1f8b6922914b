"""A query's lexical scores as the search core asks for them: the top rows, the scores of
given rows, the word matches (`WholeScores`, from the local index's score of every row),
and the coverage rule's calls (`QueryCoverage`). An engine that scores BM25 itself
answers the same calls (`indexer.backends.milvus.lexical.MilvusScores`)."""

from __future__ import annotations

from typing import Any

import numpy as np


def top_positive(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, rows) among the allowed rows with a positive score, best first
    (ties by row id), so a filtered query gets k whenever k allowed rows match."""
    positive = scores > 0
    if allowed is not None:  # a mask, not np.isin: one pass, no sort of either side
        ok = np.zeros(len(scores), dtype=bool)
        ok[allowed] = True
        positive &= ok
    rows = np.flatnonzero(positive)
    sub = scores[rows]
    if len(rows) > k:
        part = np.argpartition(-sub, k - 1)[:k]
        rows, sub = rows[part], sub[part]
    order = np.lexsort((rows, -sub))
    return sub[order], rows[order]


class WholeScores:
    """A query's BM25 score of every row, as the local index computes it (one pass over
    the query tokens' postings): what the search core asks of a query's lexical scores
    (`indexer.backends.milvus.lexical.MilvusScores` answers the same from Milvus)."""

    def __init__(self, scores: np.ndarray):
        self.array = scores
        self._words: np.ndarray | None = None

    def top(self, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, rows) among the allowed rows with a positive score."""
        return top_positive(self.array, k, allowed)

    def at(self, rows) -> np.ndarray:
        """The scores of the given rows."""
        return self.array[np.asarray(rows, dtype=np.int64)]

    def words(self) -> np.ndarray:
        """Mask of the rows holding a query word (the word matches)."""
        if self._words is None:
            self._words = self.array > 0
        return self._words


class QueryCoverage:
    """A query's coverage (`LexicalIndex.coverage`) of rows, the whole array computed at
    most once (facets ask for several match sets of the same query): for the rows asked
    by binary search, or whole when a pass is cheaper, then kept. `prefer_whole`: compute
    it on the first call (facets under a filter, whose broader match sets need it)."""

    def __init__(self, lexical: Any, query: str, prefer_whole: bool = False):
        self.lexical, self.query, self.prefer_whole = lexical, query, prefer_whole
        self._whole: np.ndarray | None = None

    def whole(self) -> np.ndarray:
        if self._whole is None:
            self._whole = self.lexical.coverage(self.query)
        return self._whole

    def has_whole(self) -> bool:
        """Whether `whole()` is, or is to be, at hand (then masks beat gathering rows)."""
        return self._whole is not None or self.prefer_whole

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        if self.has_whole():
            return self.whole()[rows]
        return self.lexical.coverage_of(self.query, rows, whole=self.whole)
