"""Per-language calibration of dense scores, so that a collection's languages compete on
one scale.

A multilingual embedding model scores a text higher against texts in its own language
than against equally relevant texts in another (e5-small: the similar practices of the
Spanish Peru child-trafficking evaluation were all Spanish, those of the English Nigeria
one all English). The offset is the query's, not the passages': the query vector sits
closer to its own language's region of the space. So for each query vector the scores
of each passage language are shifted by the difference between the query's mean score
over that language and over the reference language (the query's own), each mean taken
over a fixed sample of the language's passages: same-language scores are unchanged,
another language's scores move by the measured offset, and the order within a language
never changes. In a one-language collection nothing changes. When the query's language
holds no passages (a Spanish question over English and French reports) or is not
detected, the reference is the language the query scores highest on average: a Spanish
question sits nearer French than English, and without this its dense top 10 over the
real IOM reports held 40% French passages where its English twin's held 15%; with it 14%
and 10% (`python -m bench.twins`).

Measured on MLQA (one mixed en/es collection, dense ranking; `eval --benchmark
mlqa-es-en`): nDCG@10 0.665 -> 0.752 for English questions and 0.622 -> 0.724 for
Spanish ones, both answering paragraphs in the top 10 for 0.554 -> 0.773 and 0.435 ->
0.747 of them. Standardising each language (subtracting its mean and dividing by its
spread) gave 0.764 / 0.733 but overshoots: in a collection where the other language holds
nothing alike, its best passages were lifted above the query language's best.
"""

from __future__ import annotations

import threading

import numpy as np

#: Passages sampled per language to estimate a query's score distribution there.
SAMPLE_ROWS = 512
#: Languages with fewer passages are left as they are (too few for a distribution).
MIN_ROWS = 20


class LanguageCalibration:
    """Built from a metadata store and its vector backend (vectors fetched once, lazily:
    at most SAMPLE_ROWS per language, whatever the collection's size)."""

    def __init__(self, store, vectors, seed: int = 0):
        self._vectors = vectors
        rng = np.random.default_rng(seed)
        self.rows: dict[str, np.ndarray] = {}
        for code, lang in enumerate(store.langs):
            if lang in ("", "und"):
                continue
            rows = np.flatnonzero(store.row_lang == code)
            if len(rows) >= MIN_ROWS:
                pick = rng.choice(rows, min(SAMPLE_ROWS, len(rows)), replace=False) if len(rows) > SAMPLE_ROWS else rows
                self.rows[lang] = np.sort(pick)
        self._sample: dict[str, np.ndarray] | None = None
        self._lock = threading.Lock()

    @property
    def languages(self) -> list[str]:
        return sorted(self.rows)

    def _samples(self) -> dict[str, np.ndarray]:
        if self._sample is None:
            with self._lock:
                if self._sample is None:
                    self._sample = {lg: self._vectors.vectors(r) for lg, r in self.rows.items()}
        return self._sample

    def means(self, qv: np.ndarray) -> dict[str, float]:
        """The query's mean score per language (over the sample)."""
        return {lg: float((m @ qv).mean()) for lg, m in self._samples().items()}

    def shifts(self, qv: np.ndarray, ref: str) -> dict[str, float]:
        """What to add to each language's scores to put them on `ref`'s scale ({} when the
        collection has one calibrated language). When `ref` is not one of the collection's
        languages, the reference is the language the query scores highest on average."""
        if len(self.rows) < 2:
            return {}
        mu = self.means(qv)
        if ref not in mu:
            # the query's language holds no passages here (a Spanish question over English
            # and French reports): the languages still differ in how close they sit to the
            # query (French nearer a Spanish one), so put them on the nearest one's scale
            ref = max(mu, key=mu.__getitem__)
        return {lg: mu[ref] - m for lg, m in mu.items() if lg != ref}

    @staticmethod
    def apply(scores: np.ndarray, langs: np.ndarray, shift: dict[str, float]) -> np.ndarray:
        """`scores` of passages in `langs` (one language code each) moved by `shift`
        (from `shifts`) onto the reference language's scale."""
        out = np.asarray(scores, dtype=np.float32).copy()
        for lg, d in shift.items():
            out[langs == lg] += d
        return out

    def code_shift(self, qv: np.ndarray, ref: str, langs: list[str]) -> np.ndarray | None:
        """The shift per language code (codes index `langs`; the last entry is for
        unknown codes), None when nothing moves."""
        shift = self.shifts(qv, ref)
        if not shift:
            return None
        return np.array([shift.get(lg, 0.0) for lg in langs] + [0.0], dtype=np.float32)
