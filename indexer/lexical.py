"""The lexical index: BM25 (bm25s) over bilingual stemmed tokens.

Tokenisation: lowercase, accent folding, words of letters/digits, Spanish and English
stopwords removed, then each word contributes its Spanish AND its English Snowball stem
(once when they agree). French passages (their `lang`) also contribute French Snowball
stems, in their own namespace ("fr:reintegr"), and every query asks for its words' French
stems too: a query then matches French text by French stems, while Spanish and English
passages are tokenised exactly as before. Otherwise passages and queries go through the
same function, so the language of a query never has to be guessed. Filtered search scores every row with
`get_scores` (sparse, fast) and ranks only the allowed rows: k results whenever k
allowed rows match.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexer.lexical_scores import QueryCoverage, WholeScores, top_positive  # noqa: F401  top_positive: re-exported

_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lowercase and strip accents (Perú -> peru, niños -> ninos)."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SPANISH

    return frozenset(fold(w) for w in (*STOPWORDS_EN, *STOPWORDS_SPANISH))


@lru_cache(maxsize=1)
def _french():
    import Stemmer
    from bm25s.stopwords import STOPWORDS_FRENCH

    return Stemmer.Stemmer("french"), frozenset(fold(w) for w in STOPWORDS_FRENCH)


#: Files of `LexicalIndex.save_terms` (the vocabulary and document frequencies).
TERMS = "terms.json"
DOC_FREQ = "doc_freq.npy"

#: Prefix of the French stems (a namespace of their own, see the module docstring).
FRENCH = "fr:"


@lru_cache(maxsize=200_000)
def french_stem(word: str) -> str | None:
    """The namespaced French stem of one folded word; None for French stopwords."""
    stemmer, stop = _french()
    if len(word) < 2 or word in stop or word in _stopwords():
        return None
    return FRENCH + stemmer.stemWord(word)


@lru_cache(maxsize=1)
def _stemmers():
    import Stemmer

    return Stemmer.Stemmer("spanish"), Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stems(word: str) -> tuple[str, ...]:
    """The Spanish and English stems of one folded word (one when they agree);
    empty for stopwords and one-letter words."""
    if len(word) < 2 or word in _stopwords():
        return ()
    es, en = _stemmers()
    a, b = es.stemWord(word), en.stemWord(word)
    return (a,) if a == b else (a, b)


def words(text: str) -> list[str]:
    """Folded words of a text, in order."""
    return _WORD.findall(fold(text))


def tokenize(text: str, french: bool = False) -> list[str]:
    """BM25 tokens of a text: bilingual stems of its non-stopwords, and with `french` their
    namespaced French stems too (French passages, and every query)."""
    out: list[str] = []
    for w in words(text):
        out.extend(stems(w))
        if french:
            f = french_stem(w)
            if f:
                out.append(f)
    return out


@lru_cache(maxsize=1)
def _numba_scorer():
    """bm25s's own summation kernel (scoring._compute_relevance_from_scores_jit_ready),
    compiled once per process and cached on disk: at 1M passages ~3x faster than its
    numpy path (np.add.at). None when numba (or the kernel) is not available."""
    if os.environ.get("NUMBA_DISABLE_JIT"):
        return None
    try:
        from bm25s.scoring import _compute_relevance_from_scores_jit_ready
        from numba import njit
    except ImportError:
        return None
    return njit(cache=True)(_compute_relevance_from_scores_jit_ready)


def _coverage_numpy(indptr, indices, tokens, word_of, weights, out) -> None:
    """Add each word's weight to the rows holding one of its stems, once per word (the
    stems of a word come one after the other)."""
    stamp = np.full(len(out), -1, dtype=np.int64)
    for t, w in zip(tokens.tolist(), word_of.tolist(), strict=True):
        rows = indices[indptr[t]:indptr[t + 1]]
        rows = rows[stamp[rows] != w]
        stamp[rows] = w
        out[rows] += weights[w]


@lru_cache(maxsize=1)
def _coverage_kernel():
    """One pass over a query's stems' postings adding to each row the weight of each query
    word it holds, once per word: `shared` marks the stems of words with several, whose
    postings may repeat a row (a word's stems come one after the other); only those pay
    for the check. Compiled with numba; None without."""
    if os.environ.get("NUMBA_DISABLE_JIT"):
        return None
    try:
        from numba import njit
    except ImportError:
        return None

    @njit(cache=True)
    def kernel(indptr, indices, tokens, word_of, shared, weights, out):  # pragma: no cover - compiled
        stamp = np.full(len(out), -1, dtype=np.int32)
        for j in range(len(tokens)):
            t, w = tokens[j], word_of[j]
            wt = weights[w]
            if not shared[j]:  # one loop per case: no branch on the hot path
                for p in range(indptr[t], indptr[t + 1]):
                    out[indices[p]] += wt
            else:
                for p in range(indptr[t], indptr[t + 1]):
                    row = indices[p]
                    if stamp[row] != w:
                        stamp[row] = w
                        out[row] += wt

    return kernel


def coverage_terms(query: str, vocab: dict[str, int], df, n_rows: float):
    """(token ids, word index per token, weight per word, total weight) of a query's
    coverage (`LexicalIndex.coverage`): each query word (not stopword) weighs the BM25
    IDF of its rarest stem among `vocab` (`df(id)`: how many rows hold it), or the most
    an IDF can be when none of its stems occurs."""

    def idf(d: int) -> float:
        return float(np.log(1.0 + (n_rows - d + 0.5) / (d + 0.5)))  # BM25's (Lucene) IDF

    tokens: list[int] = []
    word_of: list[int] = []
    weights: list[float] = []
    for w in dict.fromkeys(words(query)):
        variants = [*stems(w), *([f] if (f := french_stem(w)) else [])]
        if not variants:
            continue  # a stopword
        ids = [vocab[v] for v in dict.fromkeys(variants) if v in vocab]
        weights.append(idf(min(int(df(i)) for i in ids)) if ids else idf(0))
        tokens += ids
        word_of += [len(weights) - 1] * len(ids)
    return tokens, word_of, weights, sum(weights)


def query_tokens(query: str, vocab: dict[str, int]) -> list[int]:
    """The ids of a query's BM25 tokens that `vocab` holds, each once, in order."""
    return [vocab[t] for t in dict.fromkeys(tokenize(query, french=True)) if t in vocab]


class LexicalIndex:
    """BM25 over passage rows (row id = position in the texts given to `build`)."""

    #: every query's scores are computed over every row (`WholeScores`)
    scans_all = True

    def __init__(self, retriever=None, n_rows: int = 0):
        self.retriever = retriever
        self.n_rows = n_rows
        self._by_row = None  # the score matrix by row (`row_weights`), made on first use

    @classmethod
    def build(cls, texts: Sequence[str], langs: Sequence[str] | None = None) -> LexicalIndex:
        """BM25 over the texts; `langs` (one per text) marks the French ones."""
        import bm25s

        if langs is not None and len(langs) != len(texts):
            raise ValueError(f"langs: {len(langs)} languages for {len(texts)} texts")
        retriever = bm25s.BM25()  # Lucene variant, k1=1.5, b=0.75
        french = [lg == "fr" for lg in langs] if langs is not None else [False] * len(texts)
        corpus_tokens = [tokenize(t, f) or ["\x00empty"] for t, f in zip(texts, french, strict=True)]
        if texts:
            retriever.index(corpus_tokens, show_progress=False)
        return cls(retriever if texts else None, len(texts))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for the query (0 where no query term occurs)."""
        out = np.zeros(self.n_rows, dtype=np.float32)
        if self.retriever is None:
            return out
        r = self.retriever
        vocab = r.vocab_dict
        toks = [t for t in dict.fromkeys(tokenize(query, french=True)) if t in vocab]
        if not toks:
            return out
        kernel = _numba_scorer() if getattr(r, "nonoccurrence_array", None) is None else None
        if kernel is not None:  # the same sum bm25s computes, on its own index arrays
            ids = np.asarray(r.get_tokens_ids(toks), dtype=np.int64)
            sc = r.scores
            return kernel(sc["data"], sc["indptr"], sc["indices"], int(sc["num_docs"]), ids, np.dtype(np.float32))
        return np.asarray(r.get_scores(toks), dtype=np.float32)

    def _coverage_terms(self, query: str):
        r = self.retriever
        indptr = r.scores["indptr"]  # a token's postings: its document frequency, read per query token
        return coverage_terms(query, r.vocab_dict, lambda i: indptr[i + 1] - indptr[i], float(r.scores["num_docs"]))

    def coverage_of(self, query: str, rows: np.ndarray, whole=None) -> np.ndarray:
        """`coverage(query)[rows]` for sorted `rows`, by binary search in the query stems'
        postings when that is cheaper than a pass over them (a filtered search, or the
        few word matches a dense score does not settle). `whole`: a callable giving the
        whole array (a cached one), used when the pass is cheaper."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.retriever is None or not len(rows):
            return np.zeros(len(rows), dtype=np.float32)
        tokens, word_of, weights, total = self._coverage_terms(query)
        if not tokens or total <= 0:
            return np.zeros(len(rows), dtype=np.float32)
        indptr, indices = self.retriever.scores["indptr"], self.retriever.scores["indices"]
        postings = sum(int(indptr[t + 1] - indptr[t]) for t in tokens)
        if len(rows) * len(tokens) * 16 >= postings:  # a pass over the postings is cheaper
            return (whole() if whole is not None else self.coverage(query))[rows]
        out = np.zeros(len(rows), dtype=np.float32)
        held = np.zeros(len(rows), dtype=bool)
        for j, t in enumerate(tokens):
            if j and word_of[j] != word_of[j - 1]:
                held[:] = False  # a new word
            post = indices[indptr[t]:indptr[t + 1]]
            pos = np.minimum(np.searchsorted(post, rows), len(post) - 1)
            found = (post[pos] == rows) & ~held
            out[found] += weights[word_of[j]]
            held |= found
        return out / np.float32(total)

    def coverage(self, query: str) -> np.ndarray:
        """Per row, the share of the query's weight its words carry. Each query word (not
        stopword) weighs the BM25 IDF of its rarest stem in the index, or the most an IDF
        can be when none of its stems (Spanish, English, French) occurs; a row holds the
        word when it holds one of its stems. 1.0: every query word is there; a row that
        holds only "final" of "football world cup final" gets a few percent. One pass over
        the query stems' postings, as BM25 scoring makes (compiled with numba)."""
        out = np.zeros(self.n_rows, dtype=np.float32)
        if self.retriever is None:
            return out
        r = self.retriever
        tokens, word_of, weights, total = self._coverage_terms(query)
        if not tokens or total <= 0:
            return out
        tok = np.asarray(tokens, dtype=np.int64)
        word = np.asarray(word_of, dtype=np.int64)
        wts = np.asarray(weights, dtype=np.float32)
        kernel = _coverage_kernel()
        if kernel is None:
            _coverage_numpy(r.scores["indptr"], r.scores["indices"], tok, word, wts, out)
        else:
            shared = np.bincount(word, minlength=len(wts))[word] > 1
            kernel(r.scores["indptr"], r.scores["indices"], tok, word.astype(np.int32), shared, wts, out)
        return out / np.float32(total)

    def query(self, query: str, selection=None, words: bool = True, expansion: str = "") -> WholeScores:
        """The query's lexical scores for the search core (`selection` and `words` are for
        engines that filter and score inside themselves; every row is scored here).
        `expansion`: words scored with the query's (`indexer.glossary`), not counted by
        its coverage (`coverage_for` weighs the query alone)."""
        return WholeScores(self.scores(f"{query} {expansion}" if expansion else query))

    def coverage_for(self, query: str, lex: WholeScores | None = None, prefer_whole: bool = False):
        """What the match set asks coverage of (`QueryCoverage`)."""
        return QueryCoverage(self, query, prefer_whole=prefer_whole)

    def row_weights(self, rows: Sequence[int]) -> list[dict[int, float]]:
        """Per row, its BM25 weight per token id (what the row adds to a query's score
        for each token the query holds): the rows of bm25s's token-major score matrix,
        for engines that score BM25 as a sparse inner product."""
        if self.retriever is None:
            return [{} for _ in rows]
        if self._by_row is None:
            from scipy.sparse import csc_matrix

            sc = self.retriever.scores
            n_terms = len(sc["indptr"]) - 1
            m = csc_matrix((sc["data"], sc["indices"], sc["indptr"]), shape=(self.n_rows, n_terms))
            self._by_row = m.tocsr()
        m = self._by_row
        out = []
        for r in rows:
            lo, hi = m.indptr[int(r)], m.indptr[int(r) + 1]
            out.append({int(t): float(w) for t, w in zip(m.indices[lo:hi], m.data[lo:hi], strict=True) if w > 0})
        return out

    def save_terms(self, directory: str | Path) -> None:
        """What scoring a query needs when an engine holds the rows' weights: the
        vocabulary (token -> id) and each token's document frequency."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        (d / "n_rows.txt").write_text(str(self.n_rows))
        vocab = self.retriever.vocab_dict if self.retriever is not None else {}
        (d / TERMS).write_text(json.dumps(vocab, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        df = np.diff(self.retriever.scores["indptr"]) if self.retriever is not None else np.zeros(0)
        np.save(d / DOC_FREQ, df.astype(np.int32))

    def save(self, directory: str | Path) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        (d / "n_rows.txt").write_text(str(self.n_rows))
        if self.retriever is not None:
            self.retriever.save(str(d), show_progress=False)

    @classmethod
    def load(cls, directory: str | Path) -> LexicalIndex:
        import bm25s

        d = Path(directory)
        n_rows = int((d / "n_rows.txt").read_text())
        retriever = bm25s.BM25.load(str(d), load_corpus=False) if n_rows else None
        return cls(retriever, n_rows)
