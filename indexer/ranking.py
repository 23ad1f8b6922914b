"""Ranking pieces of the search facade (`indexer.search`): hybrid fusion and its knobs,
the query-language guess, the calibrated dense floors, and the helpers that rank dense
candidates (top-k of a score vector, language-shifted candidates, dense scores of fusion
candidates on approximate backends, fetched)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.lexical import words


@dataclass
class HybridParams:
    """Knobs of hybrid fusion and of the match set (tune them with eval).

    lexical_weight: weight of normalised BM25 in CombSUM (dense gets 1 - lexical_weight).
    cross_lang_lexical: multiplier of the lexical weight for passages whose language is
        not the query's (0 = cross-lingual pairs are ranked by dense alone; 1 = language
        blind). Unknown languages on either side count as the same language.
    depth: candidates taken from each ranking before fusion (grown when grouping needs more).
    dense_margin: dense match set = filtered passages scoring >= best - dense_margin.
    match_depth: with an approximate backend, dense match-set candidates per query (256:
        at 1M passages an HNSW search for 1,000 neighbours took 5 ms, for 256 about 1 ms;
        the counts are flagged as a lower bound either way).

    Defaults measured on XQuAD (240 paragraphs, 1,190 questions, 4-bit multilingual-e5-small),
    nDCG@10 for en->en / es->es / es->en / en->es:
    dense 0.970 / 0.958 / 0.937 / 0.943; bm25 0.960 / 0.952 / 0.638 / 0.637;
    hybrid w=0.3 x=0.5: 0.985 / 0.976 / 0.947 / 0.951 (x in 0.4-0.6 within 0.001;
    x=0: cross-lingual equals dense; x=1: 0.938 / 0.943; w=0.5 x=1: 0.883 / 0.884).
    On e5 (scores compressed in ~0.7-0.9), the best relevant passage of the seeds dev
    queries is within 0.013 of the best score; a margin of 0.05 keeps ~1/4 of the passages.
    """

    lexical_weight: float = 0.3
    cross_lang_lexical: float = 0.5
    depth: int = 100
    dense_margin: float = 0.05
    match_depth: int = 256
    #: least dense score a passage needs to match at all; None: the model's calibrated
    #: floor from DENSE_FLOORS, or no floor for a model without one
    dense_floor: float | None = None
    #: a word match counts for the match set (with dense evidence at hand: hybrid, facets,
    #: gap map) when the passage carries this share of the query's IDF weight
    #: (LexicalIndex.coverage), or when its dense score reaches the dense floor less
    #: `lexical_floor_gap` (words and meaning both point at it, weakly); None: any query
    #: word counts (the rule before, and always in bm25 mode). Chosen on the seeds dev set
    #: and eval/queries/noise.jsonl, checked on XQuAD (README, "What matching means").
    lexical_coverage: float | None = 0.5
    lexical_floor_gap: float = 0.04
    #: rank another language's passages on the query language's scale (indexer.calibration;
    #: modes dense and hybrid, queries detected as Spanish or English)
    calibrate_languages: bool = True
    #: BM25 also scores the other languages' terms of the glossary concepts a query names
    #: (indexer.glossary: "rendición de cuentas" also asks for "accountability"); the
    #: match set's coverage rule weighs the query's own words alone
    glossary: bool = True
    #: what the score of a passage in a reference list, notes or an acronyms list (section
    #: kind "references") is multiplied by, in every mode: such lists are full of the words
    #: of a question (report titles, interview citations) and answer none; 1 = no prior
    reference_prior: float = 0.6
    #: ... and the collection's own words in its other languages that the query's words
    #: translate to (indexer.translations: "votaron" also asks for "voted")
    translate: bool = True


#: Calibrated dense match floors per model. multilingual-e5-small: 0.82, about the 5th
#: percentile of a question's score with its answering paragraph on held-out XQuAD (300
#: questions each in English and Spanish: 0.827 and 0.845), above the best score of
#: nonsense or off-topic queries on the sample corpus ("xyzzy qwertyuiop" 0.807,
#: "football world cup final" 0.775). Below it, a query has no relevant passage even
#: if it is the best there is.
DENSE_FLOORS: dict[str, float] = {"multilingual-e5-small": 0.82}


def apply_reference_prior(store, rows: np.ndarray, scores: np.ndarray, prior: float):
    """(rows, scores) with the scores of rows in section kind "references" times `prior`,
    best first again (ties by row)."""
    if prior == 1.0 or not len(rows) or "references" not in store.sections:
        return rows, scores
    low = store.row_section[rows] == store.sections.index("references")
    if not low.any():
        return rows, scores
    scores = np.where(low, scores * prior, scores).astype(np.float32)
    order = np.lexsort((rows, -scores))
    return rows[order], scores[order]


def _minmax(x: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if hi - lo <= 1e-12:
        return np.ones_like(x) if hi > 0 else np.zeros_like(x)
    return (x - lo) / (hi - lo)


def fuse_wsum(
    dense: np.ndarray, lexical: np.ndarray, weight: float, lexical_factor: np.ndarray | float = 1.0
) -> np.ndarray:
    """Weighted CombSUM of min-max normalised scores over one candidate set (aligned
    arrays): (1 - w * factor) * norm(dense) + w * factor * norm(lexical), so the weight
    a damped lexical score loses goes back to the dense score (each passage's weights
    still sum to 1). With factor 1 it equals ranx's fuse(method="wsum", norm="min-max")
    when both runs hold the same candidates."""
    lw = weight * np.asarray(lexical_factor, dtype=np.float64)
    return (1.0 - lw) * _minmax(dense) + lw * _minmax(lexical)


_ES_HINTS = frozenset("que de la el los las del por para con una como cual cuales donde hay esta este estos sus qué cuál cómo dónde".split())
_EN_HINTS = frozenset("the of and to in is are what which how where who does do was were for with this that from".split())
_FR_HINTS = frozenset("des les du une est dans sur avec qui quels quelles quel quelle comment pourquoi au aux leur leurs ont sont et été cette ces".split())
_ES_MARKS, _FR_MARKS = "áíóú", "àâçèêëîïôûùœ"


def detect_query_lang(query: str) -> str:
    """"es", "en", "fr" or "und" from function words and accents (fast, for fusion and
    calibration only); a tie, or a query of none of them, goes to the language whose
    glossary terms it names alone (indexer.glossary: "apoyo psicosocial a retornados" is
    Spanish, "remittances" English), else "und"; a Spanish-French tie on accents alone
    stays Spanish, as before French was told apart."""
    if any(c in query for c in "¿¡ñÑ"):
        return "es"
    ws = words(query)
    low = query.lower()
    acute = "é" in low  # Spanish and French alike
    counts = {
        "es": sum(w in _ES_HINTS for w in ws) + any(c in low for c in _ES_MARKS) + acute,
        "en": sum(w in _EN_HINTS for w in ws),
        "fr": sum(w in _FR_HINTS for w in ws) + any(c in low for c in _FR_MARKS) + acute,
    }
    best = max(counts.values())
    leaders = [lg for lg, n in counts.items() if n == best]
    if best and len(leaders) == 1:
        return leaders[0]
    from indexer.glossary import language_votes

    votes = {lg: n for lg, n in language_votes(query).items() if lg in leaders}
    top = max(votes.values(), default=0)
    won = [lg for lg, n in votes.items() if n == top]
    if top and len(won) == 1:
        return won[0]
    # Spanish and French tied on accents alone ("después"): the users' language
    return "es" if best and leaders == ["es", "fr"] else "und"


_POOL = None


def _prefetch_pool():
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="prefetch")
    return _POOL


def _shifted(st, rows: np.ndarray, scores: np.ndarray, lang_shift: np.ndarray):
    """(rows, scores) with each score shifted by its row's language, best first again."""
    scores = scores + lang_shift[st.store.row_lang[rows]]
    order = np.lexsort((rows, -scores))
    return rows[order], scores[order].astype(np.float32)


def _dense_scores(st, cand: np.ndarray, known: tuple[np.ndarray, np.ndarray], qv: np.ndarray,
                  lang_shift: np.ndarray | None = None) -> np.ndarray:
    """Dense scores of the fusion candidates on an approximate backend: those its search
    returned are known (exact inner products, already shifted when `lang_shift` is
    given); the rest come from their vectors, fetched (one call) and shifted here."""
    shift = (lambda rows: lang_shift[st.store.row_lang[rows]]) if lang_shift is not None else (lambda rows: 0.0)
    out = np.full(len(cand), np.nan, dtype=np.float32)
    pos = {int(r): i for i, r in enumerate(cand)}
    for r, sc in zip(known[0].tolist(), known[1].tolist(), strict=True):
        i = pos.get(r)
        if i is not None:
            out[i] = sc
    missing = np.isnan(out)
    if missing.any():
        out[missing] = st.vectors.vectors(cand[missing]) @ qv + shift(cand[missing])
    return out


def _top_dense(scores: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (rows, scores) of a full dense score vector among allowed rows (absent rows
    hold -inf and are dropped)."""
    rows = np.arange(len(scores)) if allowed is None else allowed
    sub = scores[rows]
    if len(rows) > k:
        part = np.argpartition(-sub, k - 1)[:k]
        rows, sub = rows[part], sub[part]
    order = np.lexsort((rows, -sub))
    rows, sub = rows[order], sub[order]
    keep = np.isfinite(sub)
    return rows[keep], sub[keep]
