"""The 23 GCM objectives: labels in English and Spanish, mentions in text, and inference.

Each objective is described in the project's own words in `corpus/data/gcm_objectives.json`:
title, description and example sentences in English, Spanish and French. Here, without the
embedding model, a text is matched against them lexically (BM25 with Snowball stems in the
text's language): `lexical_scores` per text, `infer_objectives` per document (low-confidence
suggestions only). The index adds the embedding model and calibrates a confidence
(`indexer.objectives`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
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
    short_fr: str = ""
    title_fr: str = ""
    desc_fr: str = ""
    #: example sentences per language ("en", "es", "fr"): what practice texts under it say
    examples: dict[str, list[str]] | None = None
    #: the topics the objective covers, as short phrases per language
    scope: dict[str, list[str]] | None = None

    def descriptions(self) -> list[tuple[str, str]]:
        """(text, lang) pieces that describe the objective: its title with its description
        in each language, then every example sentence."""
        out = []
        for lang in ("en", "es", "fr"):
            title, desc = getattr(self, f"title_{lang}"), getattr(self, f"desc_{lang}")
            if title or desc:
                out.append((f"{title}. {desc}".strip(". "), lang))
        for group in (self.examples, self.scope):
            for lang, sentences in (group or {}).items():
                out.extend((t, lang) for t in sentences)
        return out


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
    como más mas entre sobre lo le les ha han fue ser este esta estos estas
    le la les des du un une et ou en dans par pour avec sans qui que se sur au aux ces cette
    est sont ont été être leur leurs""".split()
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

    return Stemmer.Stemmer({"es": "spanish", "fr": "french"}.get(lang, "english"))


def _tokens(text: str, lang: str) -> list[str]:
    words = [w for w in _WORD.findall(fold(text).lower()) if w not in _STOP and len(w) > 2]
    return _stemmer(lang).stemWords(words)


def _lang(lang: str) -> str:
    return lang if lang in ("es", "fr") else "en"


@lru_cache(maxsize=1)
def _index():
    import bm25s

    corpus = []
    for o in OBJECTIVES:
        toks = _tokens(o.short_en, "en") + _tokens(o.short_es, "es") + _tokens(o.short_fr, "fr")
        for text, lang in o.descriptions():
            toks += _tokens(text, _lang(lang))
        corpus.append(toks)
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    return retriever


@lru_cache(maxsize=1)
def _term_weights():
    """(vocabulary -> row, terms x 23 BM25 weights): a text's scores are its term counts
    (log-damped) times this matrix."""
    import numpy as np

    retriever = _index()
    vocab = {term: row for row, term in enumerate(t for t in retriever.vocab_dict if t)}
    weights = np.zeros((len(vocab), len(OBJECTIVES)), dtype=np.float32)
    for term, row in vocab.items():
        weights[row] = retriever.get_scores([term])
    return vocab, weights


def _term_counts(text: str, lang: str) -> Counter:
    """Vocabulary row -> occurrences of the text's terms that the descriptions hold."""
    vocab, _ = _term_weights()
    return Counter(vocab[t] for t in _tokens(text, _lang(lang)) if t in vocab)


def _score(counts: Counter):
    """BM25 scores (23,) of a bag of description terms, each counted log-damped."""
    import numpy as np

    _, weights = _term_weights()
    if not counts:
        return np.zeros(len(OBJECTIVES), dtype=np.float32)
    rows = np.fromiter(counts.keys(), dtype=np.int64)
    damp = np.log1p(np.fromiter(counts.values(), dtype=np.float32))
    return damp @ weights[rows]


def lexical_scores(pieces: list[tuple[str, str]]):
    """BM25 scores (n, 23) of each (text, lang) piece against the objectives' descriptions,
    each term counted log-damped (a word said ten times is not ten times the evidence)."""
    import numpy as np

    out = np.zeros((len(pieces), len(OBJECTIVES)), dtype=np.float32)
    for i, (text, lang) in enumerate(pieces):
        out[i] = _score(_term_counts(text, lang))
    return out


def infer_objectives(texts: list[tuple[str, str]]) -> tuple[InferredObjective, ...]:
    """Objectives a text is about, from (text, lang) pieces, best first, with scores in (0, 1].

    A score is the objective's BM25 score over the best one's, so the top has 1.0; the others
    kept reach INFER_MIN_RELATIVE of it. Nothing is inferred for text with no clear match.
    These are low-confidence suggestions (`confident` False): the index re-infers with the
    embedding model and a calibrated confidence.
    """
    import numpy as np

    # one bag of words for the whole document, stemmed in each piece's language
    by_lang: dict[str, list[str]] = {}
    for text, lang in texts:
        if text:
            by_lang.setdefault(_lang(lang), []).append(text)
    bags = [_term_counts(" ".join(ts), lang) for lang, ts in by_lang.items()]
    n_terms = len({row for bag in bags for row in bag})
    if not n_terms:
        return ()
    scores = sum(_score(bag) for bag in bags)
    top = float(scores.max())
    if top <= INFER_MIN_ABSOLUTE * max(1.0, np.log1p(n_terms)):
        return ()
    order = np.argsort(-scores, kind="stable")[:INFER_TOP]
    return tuple(
        InferredObjective(number=int(i) + 1, score=round(float(scores[i] / top), 4))
        for i in order
        if scores[i] / top >= INFER_MIN_RELATIVE
    )
