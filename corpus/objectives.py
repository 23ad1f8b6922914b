"""The 23 GCM objectives: labels in English and Spanish, mentions in text, and inference.

Inference runs without the embedding model: BM25 (bm25s, Snowball stemming in the text's
language) of a document's text against bilingual descriptions of each objective, written in
the project's own words in `corpus/data/gcm_objectives.json`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from corpus.countries import fold
from corpus.types import InferredObjective

__all__ = [
    "Objective",
    "OBJECTIVES",
    "objective_label",
    "objective_title",
    "find_mentioned_objectives",
    "infer_objectives",
]

_DATA = Path(__file__).resolve().parent / "data" / "gcm_objectives.json"


@dataclass(frozen=True)
class Objective:
    number: int
    short_en: str
    title_en: str
    short_es: str
    title_es: str
    desc_en: str = ""
    desc_es: str = ""


def _load() -> list[Objective]:
    raw = json.loads(_DATA.read_text(encoding="utf-8"))["objectives"]
    return [Objective(**o) for o in sorted(raw, key=lambda o: o["number"])]


#: The 23 objectives in order (OBJECTIVES[n - 1].number == n).
OBJECTIVES: list[Objective] = _load()


def _check(n: int) -> Objective:
    if not isinstance(n, int) or not 1 <= n <= len(OBJECTIVES):
        raise ValueError(f"GCM objective must be an integer from 1 to 23, got {n!r}")
    return OBJECTIVES[n - 1]


def objective_label(n: int, lang: str = "en") -> str:
    """Short label of objective n in 'en' or 'es', e.g. 'Counter trafficking'."""
    o = _check(n)
    return o.short_es if lang.lower().startswith("es") else o.short_en


def objective_title(n: int, lang: str = "en") -> str:
    """Full title of objective n in 'en' (official) or 'es' (the project's translation)."""
    o = _check(n)
    return o.title_es if lang.lower().startswith("es") else o.title_en


# --- mentions ---------------------------------------------------------------------------

_NUM = r"(?:n[.ºo°]\s*)?(\d{1,2})"
_MENTION = re.compile(
    rf"\b(?:objectives?|objetivos?|obj\.)[ \t]+{_NUM}((?:[ \t]*(?:,|and|y|e|&|or|o)[ \t]*{_NUM})*)",
    re.IGNORECASE,
)
_GCM_CUE = re.compile(
    r"\b(?:GCM|MGC|PMM|Global Compact|Migration Compact|Compact for Migration|the Compact|"
    r"Pacto Mundial|Pacto Global|Pacto para la Migraci[oó]n|del Pacto)\b",
    re.IGNORECASE,
)


def find_mentioned_objectives(text: str) -> list[int]:
    """Objective numbers named with a GCM cue nearby ('objective 7 of the Global Compact',
    'Objetivo 10 del Pacto Mundial', 'GCM Objective 16'), ascending, without repeats."""
    found: set[int] = set()
    for m in _MENTION.finditer(text):
        before = text[max(0, m.start() - 16) : m.start()]
        after = text[m.end() : m.end() + 60]
        if not (_GCM_CUE.search(before) or _GCM_CUE.search(after)):
            continue
        nums = [int(m.group(1))] + [int(x) for x in re.findall(r"\d{1,2}", m.group(2) or "")]
        found.update(n for n in nums if 1 <= n <= 23)
    return sorted(found)


# --- inference --------------------------------------------------------------------------

_STOP = frozenset(
    """a an and are as at be by for from has have in into is it its of on or that the their
    this to was were which with who will can also more other all such these those our we they
    el la los las un una unos unas y o u de del al en por para con sin que se su sus es son
    como más mas entre sobre lo le les ha han fue ser este esta estos estas""".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")

#: Normalised score (top = 1) an objective must reach, and how many to keep at most.
INFER_MIN_RELATIVE = 0.6
INFER_TOP = 3
#: Raw BM25 score per query term below which nothing is inferred (off-topic text).
INFER_MIN_ABSOLUTE = 1.0


@lru_cache(maxsize=2)
def _stemmer(lang: str):
    import Stemmer

    return Stemmer.Stemmer("spanish" if lang == "es" else "english")


def _tokens(text: str, lang: str) -> list[str]:
    words = [w for w in _WORD.findall(fold(text).lower()) if w not in _STOP and len(w) > 2]
    return _stemmer(lang).stemWords(words)


@lru_cache(maxsize=1)
def _index():
    import bm25s

    corpus = [_tokens(o.desc_en + " " + o.title_en + " " + o.short_en, "en")
              + _tokens(o.desc_es + " " + o.title_es + " " + o.short_es, "es")
              for o in OBJECTIVES]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    return retriever


def infer_objectives(texts: list[tuple[str, str]]) -> tuple[InferredObjective, ...]:
    """Objectives a text is about, from (text, lang) pieces, best first, with scores in (0, 1].

    A score is the objective's BM25 score over the best one's, so the top has 1.0; the others
    kept reach INFER_MIN_RELATIVE of it. Nothing is inferred for text with no clear match.
    """
    import numpy as np

    query: list[str] = []
    for text, lang in texts:
        query.extend(_tokens(text, "es" if lang == "es" else "en"))
    if not query:
        return ()
    retriever = _index()
    vocab = retriever.vocab_dict
    # Each term once, weighted by how often it occurs: bm25s scores a bag of query terms.
    from collections import Counter

    counts = Counter(t for t in query if t in vocab)
    if not counts:
        return ()
    scores = np.zeros(len(OBJECTIVES), dtype=np.float64)
    for term, c in counts.items():
        scores += np.log1p(c) * retriever.get_scores([term])
    top = float(scores.max())
    if top <= INFER_MIN_ABSOLUTE * max(1.0, np.log1p(len(counts))):
        return ()
    order = np.argsort(-scores, kind="stable")[:INFER_TOP]
    return tuple(
        InferredObjective(number=int(i) + 1, score=round(float(scores[i] / top), 4))
        for i in order
        if scores[i] / top >= INFER_MIN_RELATIVE
    )
